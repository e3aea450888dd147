#include "plugins/common/sql_text.h"

namespace quarry::plugins::sql {
namespace {

std::string Enclose(std::string_view text, char quote) {
  std::string s;
  s.reserve(text.size() + 2);
  s.push_back(quote);
  for (char c : text) {
    if (c == quote) s.push_back(quote);
    s.push_back(c);
  }
  s.push_back(quote);
  return s;
}

}  // namespace

std::string Quote(std::string_view identifier) { return Enclose(identifier, '"'); }

std::string Literal(std::string_view value) { return Enclose(value, '\''); }

std::string QuoteList(const std::vector<std::string>& identifiers, std::string_view prefix) {
  std::string s;
  for (const auto& id : identifiers) {
    if (!s.empty()) s += ", ";
    s += prefix;
    s += Quote(id);
  }
  return s;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string s;
  for (const auto& p : parts) {
    if (!s.empty()) s += separator;
    s += p;
  }
  return s;
}

}  // namespace quarry::plugins::sql
