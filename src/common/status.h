#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace daulat {

// Error categories shared by every layer. The CLI maps them to exit codes and
// the HTTP layer to status codes, so pick the one that says what the caller
// should do about it, not where it happened.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong; retrying will not help
  kUnauthenticated,     // no valid credentials
  kPermissionDenied,    // valid credentials, but not allowed to do this
  kNotFound,            // a named thing (model, file) does not exist
  kDataLoss,            // stored data is corrupt or fails its checksum
  kFailedPrecondition,  // the system is not in a state to do this (e.g. not bootstrapped)
  kAlreadyExists,       // what the caller tried to create exists (HTTP 409)
  kResourceExhausted,   // a limit was hit (context window, queue, quota)
  kCancelled,           // the caller asked to stop
  kDeadlineExceeded,    // the caller's time limit passed before the work finished
  kUnavailable,         // transient; retry later
  kStorageFull,         // the disk holding the data is full: retry once space is freed (HTTP 507)
  kInternal,            // a bug or an unexpected library failure
};

std::string_view StatusCodeName(StatusCode code);

// Value type carrying success or an error with a human-readable message.
// Messages are complete sentences meant for the person running the program.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: model 'x' is not installed"
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status DataLoss(std::string m) {
  return {StatusCode::kDataLoss, std::move(m)};
}
inline Status AlreadyExists(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Cancelled(std::string m) {
  return {StatusCode::kCancelled, std::move(m)};
}
inline Status DeadlineExceeded(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status StorageFull(std::string m) {
  return {StatusCode::kStorageFull, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status Internal(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}

// Either a T or a non-OK Status. Accessing value() of an error is a bug.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace daulat

#define DAULAT_RETURN_IF_ERROR(expr) \
  do {                               \
    ::daulat::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)
