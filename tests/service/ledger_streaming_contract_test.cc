// The streaming RPCs and Audit (README.md, "The rules"), over a real loopback
// connection against the real ledger-server, with gRPC's plain synchronous
// client: an implementation independent of the server's coroutine layer.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/service/contract_fixture.h"
#include "tests/service/ledger_client.h"

namespace ledger::testing {
namespace {

class StreamingContract : public ContractTest {
 protected:
  struct Listed {
    grpc::Status status;
    std::vector<v1::TransferReceipt> receipts;
  };
  Listed List(const std::string& account_id, uint32_t limit = 0) {
    v1::ListTransfersRequest request;
    request.set_account_id(account_id);
    request.set_limit(limit);
    grpc::ClientContext context;
    SetDeadline(context);
    auto reader = client_->stub().ListTransfers(&context, request);
    Listed listed;
    v1::TransferReceipt receipt;
    while (reader->Read(&receipt)) listed.receipts.push_back(receipt);
    listed.status = reader->Finish();
    return listed;
  }

  struct Imported {
    grpc::Status status;
    v1::ImportSummary summary;
  };
  Imported Import(const std::vector<v1::TransferRequest>& requests) {
    grpc::ClientContext context;
    SetDeadline(context);
    Imported imported;
    auto writer = client_->stub().ImportTransfers(&context, &imported.summary);
    for (const auto& request : requests) EXPECT_TRUE(writer->Write(request));
    EXPECT_TRUE(writer->WritesDone());
    imported.status = writer->Finish();
    return imported;
  }

  struct Streamed {
    grpc::Status status;
    std::vector<v1::TransferResult> results;
  };
  // Writes every request, then reads every result (the server keeps at most
  // 64 in flight, and buffers are large enough for these sizes).
  Streamed Stream(const std::vector<v1::TransferRequest>& requests) {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = client_->stub().TransferStream(&context);
    Streamed streamed;
    std::thread reader([&] {
      v1::TransferResult result;
      while (stream->Read(&result)) streamed.results.push_back(result);
    });
    for (const auto& request : requests) EXPECT_TRUE(stream->Write(request));
    EXPECT_TRUE(stream->WritesDone());
    reader.join();
    streamed.status = stream->Finish();
    return streamed;
  }

  grpc::Status Audit(const std::string& account_id, v1::AuditReport* report) {
    v1::AuditRequest request;
    request.set_account_id(account_id);
    grpc::ClientContext context;
    SetDeadline(context);
    return client_->stub().Audit(&context, request, report);
  }
};

// --- ListTransfers -----------------------------------------------------------

TEST_P(StreamingContract, ListTransfersOfAnUnknownAccountIsNotFound) {
  const Listed listed = List(UniqueId("nobody"));
  EXPECT_EQ(listed.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(listed.receipts.empty());
  EXPECT_EQ(List("bad id").status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(StreamingContract, ListTransfersOfAnAccountWithoutTransfersIsEmpty) {
  const Listed listed = List(OpenWith("quiet", 5));
  EXPECT_TRUE(listed.status.ok()) << listed.status.error_message();
  EXPECT_TRUE(listed.receipts.empty());
}

TEST_P(StreamingContract, ListTransfersStreamsEveryTransferTouchingTheAccountOldestFirst) {
  const std::string me = OpenWith("me", 1000);
  const std::string other = OpenWith("other", 1000);
  const std::string third = OpenWith("third", 1000);
  std::vector<v1::TransferReceipt> mine;
  for (int i = 0; i < 6; ++i) {
    v1::TransferReceipt receipt;
    // Alternately payer and payee; the third account's own transfers must
    // not show up.
    ASSERT_TRUE(
        client_->Transfer(UniqueId("list"), i % 2 ? me : other, i % 2 ? other : me, i + 1, &receipt)
            .ok());
    mine.push_back(receipt);
    ASSERT_TRUE(client_->Transfer(UniqueId("list"), other, third, 1).ok());
  }
  const Listed listed = List(me);
  ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
  ASSERT_EQ(listed.receipts.size(), mine.size());
  for (size_t i = 0; i < mine.size(); ++i) {
    EXPECT_EQ(listed.receipts[i].SerializeAsString(), mine[i].SerializeAsString()) << i;
  }
  const Listed first_three = List(me, 3);
  ASSERT_TRUE(first_three.status.ok());
  ASSERT_EQ(first_three.receipts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(first_three.receipts[i].sequence(), mine[i].sequence());
}

TEST_P(StreamingContract, ListTransfersSpansManyStorePages) {
  constexpr int kTransfers = 700;  // more than two pages
  const std::string a = OpenWith("pages-a", kTransfers);
  const std::string b = OpenWith("pages-b", 0);
  std::vector<v1::TransferRequest> requests;
  for (int i = 0; i < kTransfers; ++i) requests.push_back(Request(UniqueId("page"), a, b, 1));
  const Streamed streamed = Stream(requests);
  ASSERT_TRUE(streamed.status.ok()) << streamed.status.error_message();
  std::set<uint64_t> sequences;
  for (const auto& result : streamed.results) {
    ASSERT_EQ(result.code(), 0) << result.message();
    sequences.insert(result.receipt().sequence());
  }
  ASSERT_EQ(sequences.size(), static_cast<size_t>(kTransfers));

  for (const std::string& id : {a, b}) {
    const Listed listed = List(id);
    ASSERT_TRUE(listed.status.ok());
    ASSERT_EQ(listed.receipts.size(), static_cast<size_t>(kTransfers));
    std::vector<uint64_t> listed_sequences;
    for (const auto& receipt : listed.receipts) listed_sequences.push_back(receipt.sequence());
    EXPECT_EQ(listed_sequences, std::vector<uint64_t>(sequences.begin(), sequences.end()));
  }
  EXPECT_EQ(List(a, 300).receipts.size(), 300u);
}

// --- ImportTransfers ---------------------------------------------------------

TEST_P(StreamingContract, ImportAppliesInArrivalOrderAndCountsRejections) {
  const std::string a = OpenWith("import-a", 100);
  const std::string b = OpenWith("import-b", 0);
  const std::string c = OpenWith("import-c", 0);
  const std::string first = UniqueId("import");
  const Imported imported = Import({
      Request(first, a, b, 60),               // applied
      Request(UniqueId("import"), b, c, 50),  // applied: b has the 60 only in arrival order
      Request(UniqueId("import"), a, c, 41),  // rejected: a has 40 left
      Request(UniqueId("import"), a, c, 0),   // rejected: invalid amount
      Request(UniqueId("import"), a, UniqueId("ghost"), 1),  // rejected: unknown account
      Request(first, a, b, 60),                              // a retry: applied, moves nothing
      Request(first, a, b, 61),                              // same id, other amount: rejected
      Request(UniqueId("import"), c, a, 10),                 // applied
  });
  ASSERT_TRUE(imported.status.ok()) << imported.status.error_message();
  EXPECT_EQ(imported.summary.applied(), 4u);
  EXPECT_EQ(imported.summary.rejected(), 4u);
  EXPECT_EQ(MustGet(a).balance(), 50);
  EXPECT_EQ(MustGet(b).balance(), 10);
  EXPECT_EQ(MustGet(c).balance(), 40);
  EXPECT_EQ(MustGet(a).version(), 3u);
}

TEST_P(StreamingContract, AnEmptyImportAppliesNothing) {
  const Imported imported = Import({});
  ASSERT_TRUE(imported.status.ok());
  EXPECT_EQ(imported.summary.applied(), 0u);
  EXPECT_EQ(imported.summary.rejected(), 0u);
}

// --- TransferStream ----------------------------------------------------------

TEST_P(StreamingContract, TransferStreamAnswersEachRequestExactlyOnce) {
  constexpr int kRequests = 300;
  const std::string a = OpenWith("stream-a", 1000);
  const std::string b = OpenWith("stream-b", 1000);
  std::vector<v1::TransferRequest> requests;
  std::map<std::string, grpc::StatusCode> expected;
  for (int i = 0; i < kRequests; ++i) {
    const std::string id = UniqueId("stream");
    switch (i % 3) {
      case 0:  // moves money back and forth, always affordable
        requests.push_back(Request(id, i % 2 ? a : b, i % 2 ? b : a, 1));
        expected[id] = grpc::StatusCode::OK;
        break;
      case 1:
        requests.push_back(Request(id, a, b, 1'000'000));
        expected[id] = grpc::StatusCode::FAILED_PRECONDITION;
        break;
      case 2:
        requests.push_back(Request(id, a, UniqueId("ghost"), 1));
        expected[id] = grpc::StatusCode::NOT_FOUND;
        break;
    }
  }
  const Streamed streamed = Stream(requests);
  ASSERT_TRUE(streamed.status.ok()) << streamed.status.error_message();
  ASSERT_EQ(streamed.results.size(), static_cast<size_t>(kRequests));
  std::set<std::string> answered;
  for (const auto& result : streamed.results) {
    ASSERT_TRUE(answered.insert(result.request_id()).second) << "answered twice";
    ASSERT_TRUE(expected.count(result.request_id())) << result.request_id();
    EXPECT_EQ(result.code(), static_cast<int>(expected[result.request_id()])) << result.message();
    if (result.code() == 0) {
      EXPECT_EQ(result.receipt().request_id(), result.request_id());
      EXPECT_GT(result.receipt().sequence(), 0u);
      EXPECT_TRUE(result.message().empty());
    } else {
      EXPECT_FALSE(result.has_receipt());
      EXPECT_FALSE(result.message().empty());
    }
  }
  EXPECT_EQ(MustGet(a).balance() + MustGet(b).balance(), 2000);
}

TEST_P(StreamingContract, AnEmptyTransferStreamEndsOk) {
  const Streamed streamed = Stream({});
  EXPECT_TRUE(streamed.status.ok());
  EXPECT_TRUE(streamed.results.empty());
}

// --- Audit -------------------------------------------------------------------

TEST_P(StreamingContract, AuditOfAnUnknownAccountIsNotFound) {
  v1::AuditReport report;
  EXPECT_EQ(Audit(UniqueId("nobody"), &report).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Audit("", &report).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(StreamingContract, AuditReportsTheJournalAndItsConsistency) {
  const std::string a = OpenWith("audit-a", 500);
  const std::string b = OpenWith("audit-b", 0);
  v1::AuditReport before;
  ASSERT_TRUE(Audit(a, &before).ok());
  EXPECT_EQ(before.account_id(), a);
  EXPECT_EQ(before.entries(), 0u);
  EXPECT_EQ(before.balance(), 500);
  EXPECT_TRUE(before.consistent());
  EXPECT_EQ(before.digest().size(), 64u);
  EXPECT_EQ(before.digest().find_first_not_of("0123456789abcdef"), std::string::npos);

  ASSERT_TRUE(client_->Transfer(UniqueId("audit"), a, b, 120).ok());
  ASSERT_TRUE(client_->Transfer(UniqueId("audit"), b, a, 20).ok());
  v1::AuditReport after;
  ASSERT_TRUE(Audit(a, &after).ok());
  EXPECT_EQ(after.entries(), 2u);
  EXPECT_EQ(after.balance(), 400);
  EXPECT_TRUE(after.consistent());
  EXPECT_NE(after.digest(), before.digest());
  v1::AuditReport again;
  ASSERT_TRUE(Audit(a, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), after.SerializeAsString());
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamingContract, ::testing::ValuesIn(AllModes()),
                         ModeTestName);

}  // namespace
}  // namespace ledger::testing
