// IntrusiveQueue: a FIFO of waiting awaiters linked through their own
// `next_` member, so queuing a waiter allocates nothing. Not thread-safe: its
// owners (AsyncMutex, TaskGroup, ThreadPool) hold their lock around it.
#pragma once

namespace coro::detail {

template <typename Node>
class IntrusiveQueue {
 public:
  bool empty() const { return head_ == nullptr; }

  void Push(Node* node) {
    node->next_ = nullptr;
    if (tail_) {
      tail_->next_ = node;
    } else {
      head_ = node;
    }
    tail_ = node;
  }

  // The oldest node, or nullptr.
  Node* Pop() {
    Node* node = head_;
    if (node) {
      head_ = node->next_;
      if (head_ == nullptr) tail_ = nullptr;
    }
    return node;
  }

 private:
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

}  // namespace coro::detail
