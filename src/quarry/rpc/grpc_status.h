// Status <-> grpc::Status, for the rpc layer's own sources only (pulls in grpc++).
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "quarry/base/status.h"

namespace quarry::rpc {

inline grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (st.code()) {
    case StatusCode::kOk:
      break;
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kIOError:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case StatusCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
  }
  return grpc::Status(code, st.message());
}

// `what` names the call: "init", "sync", …
inline Status FromGrpc(const grpc::Status& st, const std::string& what) {
  if (st.ok()) return Status::OK();
  const std::string msg = what + ": " + st.error_message();
  switch (st.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return Status::Invalid(msg);
    case grpc::StatusCode::NOT_FOUND:
      return Status::NotFound(msg);
    case grpc::StatusCode::CANCELLED:
      return Status::Cancelled(msg);
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::IOError(msg);
    default:
      return Status::IOError(msg);
  }
}

}  // namespace quarry::rpc
