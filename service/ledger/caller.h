// Caller: who makes a call, as the server established it, and what it may
// do. The ledger's ownership rules (ledger_rules.h) decide with it alone, so
// they hold alike whatever proved the identity (a token, a certificate) and
// in both modes.
#pragma once

#include <string>

namespace ledger {

struct Caller {
  // The principal: a token's name from the tokens file, or a client
  // certificate's identity. "" when the server runs without authentication.
  std::string principal;
  // The admin role: may read and debit every account, and open accounts with
  // money in them.
  bool admin = false;

  // Any caller of a server that runs without authentication: it may do
  // everything, and the accounts it opens belong to nobody (owner "").
  static Caller Anyone() { return Caller{.principal = "", .admin = true}; }
};

}  // namespace ledger
