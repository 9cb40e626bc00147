// IntrusiveQueue: a FIFO of waiting awaiters linked through their own
// `next_` member, so queuing a waiter allocates nothing. IntrusiveList: the
// same, doubly linked through `prev_` and `next_`, for waiters that may also
// leave from the middle (an AsyncSemaphore waiter whose wait is cut short).
// Neither is thread-safe: their owners (AsyncMutex, TaskGroup, ThreadPool,
// AsyncSemaphore) hold their lock around them.
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

template <typename Node>
class IntrusiveList {
 public:
  bool empty() const { return head_ == nullptr; }

  void Push(Node* node) {
    node->prev_ = tail_;
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
    if (node) Remove(node);
    return node;
  }

  // `node` must be in this list.
  void Remove(Node* node) {
    (node->prev_ ? node->prev_->next_ : head_) = node->next_;
    (node->next_ ? node->next_->prev_ : tail_) = node->prev_;
    node->prev_ = nullptr;
    node->next_ = nullptr;
  }

 private:
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

}  // namespace coro::detail
