// GoogleTest assertions for Status and Result<T>: on failure they print the expression and the
// error, where ASSERT_TRUE(x.ok()) prints only "false".
//
//   ASSERT_OK(dest->Migrate(tables));            // a Status or a Result<T>
//   EXPECT_OK(store.Save(rows));
//   ASSERT_OK_AND_ASSIGN(auto batch, BatchFromJson(schema, "[...]"));
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "quarry/base/status.h"

namespace quarry::testing {

inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}

}  // namespace quarry::testing

#define QUARRY_TESTING_CHECK_OK(expr, fail)                          \
  do {                                                               \
    const ::quarry::Status _st = ::quarry::testing::StatusOf(expr);  \
    if (!_st.ok()) fail() << #expr << " failed: " << _st.ToString(); \
  } while (false)

// Fails the test and returns from the current function when `expr` is not OK.
#define ASSERT_OK(expr) QUARRY_TESTING_CHECK_OK(expr, FAIL)
// Fails the test and goes on when `expr` is not OK.
#define EXPECT_OK(expr) QUARRY_TESTING_CHECK_OK(expr, ADD_FAILURE)

#define QUARRY_TESTING_ASSIGN_IMPL(tmp, lhs, rexpr)                          \
  auto tmp = (rexpr);                                                        \
  if (!tmp.ok()) FAIL() << #rexpr << " failed: " << tmp.status().ToString(); \
  lhs = std::move(*tmp)

// Evaluates the Result `rexpr`; fails and returns when it holds an error, otherwise moves its
// value into `lhs` (a declaration or an lvalue).
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  QUARRY_TESTING_ASSIGN_IMPL(QUARRY_CONCAT(_quarry_result_, __LINE__), lhs, rexpr)
