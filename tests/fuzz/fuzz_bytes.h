// FuzzBytes: the fuzzer's input read front to back as the choices of one
// run. Past the end every read gives zeros, so any byte string, even an
// empty one, is a complete run: the fuzzer never has to learn a format.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ledger::fuzz {

class FuzzBytes {
 public:
  FuzzBytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return offset_ >= size_; }

  uint8_t Byte() { return empty() ? 0 : data_[offset_++]; }

  // A choice among `count` (> 0) cases.
  int Pick(int count) { return Byte() % count; }

  uint32_t Bits32() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(Byte()) << (8 * i);
    return value;
  }

  uint64_t Bits64() {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(Byte()) << (8 * i);
    return value;
  }

  // Up to `size` raw bytes, fewer where the input ends.
  std::string Bytes(size_t size) {
    size = std::min(size, size_ - std::min(offset_, size_));
    std::string bytes(reinterpret_cast<const char*>(data_ + offset_), size);
    offset_ += size;
    return bytes;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
};

}  // namespace ledger::fuzz
