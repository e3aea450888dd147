// Status and Result<T>: how Quarry reports failure without exceptions.
//
// A Status is either OK or carries a code and a message. Messages gain context as they travel
// up, so the final text reads like a path: "source pg: table orders: copy: connection lost".
// Result<T> holds either a value or a non-OK Status.
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace quarry {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from a user: config, data, flags
  kNotFound,
  kIOError,  // the outside world failed: files, databases, network
  kCancelled,
  kInternal,  // a bug in Quarry
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status Invalid(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsInvalid() const { return code_ == StatusCode::kInvalidArgument; }
  bool IsCancelled() const { return code_ == StatusCode::kCancelled; }

  // Returns a copy whose message is "<context>: <message>". OK stays OK.
  Status WithContext(std::string_view context) const;
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A Result used against its preconditions (its value read while it holds an error, or built from
// an OK status) is a bug in Quarry: it prints the error and aborts, in every build — never an
// exception escaping to std::terminate.
[[noreturn]] void ResultMisuse(const char* what, const Status& status);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    // REQUIRES: !status.ok()
    if (std::get_if<Status>(&v_)->ok()) ResultMisuse("built from an OK status", Status::OK());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : *std::get_if<Status>(&v_); }
  // REQUIRES: ok() (checked: aborts with the error otherwise)
  T& operator*() & { return Value(); }
  const T& operator*() const& { return Value(); }
  T* operator->() { return &Value(); }
  const T* operator->() const { return &Value(); }
  T MoveValue() { return std::move(Value()); }
  T ValueOr(T fallback) const { return ok() ? Value() : std::move(fallback); }

 private:
  T& Value() {
    T* v = std::get_if<T>(&v_);
    if (v == nullptr) ResultMisuse("value read while it holds an error", *std::get_if<Status>(&v_));
    return *v;
  }
  const T& Value() const { return const_cast<Result*>(this)->Value(); }

  std::variant<T, Status> v_;
};

}  // namespace quarry

#define QUARRY_CONCAT_INNER(a, b) a##b
#define QUARRY_CONCAT(a, b) QUARRY_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define QUARRY_RETURN_NOT_OK(expr) \
  do {                             \
    ::quarry::Status _st = (expr); \
    if (!_st.ok()) return _st;     \
  } while (false)

#define QUARRY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = tmp.MoveValue()

// `QUARRY_ASSIGN_OR_RETURN(auto x, MakeX());` binds the value or returns the error.
#define QUARRY_ASSIGN_OR_RETURN(lhs, rexpr) \
  QUARRY_ASSIGN_OR_RETURN_IMPL(QUARRY_CONCAT(_res_, __LINE__), lhs, rexpr)
