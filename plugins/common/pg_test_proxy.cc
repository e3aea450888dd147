#include "plugins/common/pg_test_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <string>
#include <vector>

namespace quarry::pgtest {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "FreezableProxy: %s: %s\n", what.c_str(), std::strerror(errno));
  std::abort();
}

constexpr size_t kMaxBuffered = 256 * 1024;

// One proxied connection: bytes read from one side wait in a buffer until the other takes them.
struct Link {
  int client = -1;
  int server = -1;
  std::string up;    // client -> server
  std::string down;  // server -> client
  bool open = true;
};

// Reads what `from` has into `buf`; false on EOF or an error.
bool Pull(int from, std::string& buf) {
  char chunk[64 * 1024];
  const ssize_t n = ::read(from, chunk, sizeof chunk);
  if (n > 0) {
    buf.append(chunk, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

// Writes what it can of `buf` to `to`; false on an error.
bool Push(int to, std::string& buf) {
  const ssize_t n = ::send(to, buf.data(), buf.size(), MSG_NOSIGNAL);
  if (n >= 0) {
    buf.erase(0, static_cast<size_t>(n));
    return true;
  }
  return errno == EAGAIN || errno == EINTR;
}

}  // namespace

FreezableProxy::FreezableProxy(const std::string& server_dsn) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(server_dsn.c_str(), &err);
  if (options == nullptr) Die("cannot parse " + server_dsn);
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string key = o->keyword;
    if (key == "host" || key == "hostaddr") {
      target_host_ = o->val;
    } else if (key == "port") {
      target_port_ = std::atoi(o->val);
    } else {
      dsn_ += key + "='" + o->val + "' ";
    }
  }
  PQconninfoFree(options);
  if (target_host_.empty()) target_host_ = "127.0.0.1";
  if (target_port_ == 0) target_port_ = 5432;

  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener_ < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0) Die("bind");
  if (::listen(listener_, 64) != 0) Die("listen");
  if (::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) Die("getsockname");
  dsn_ += "host=127.0.0.1 port=" + std::to_string(ntohs(addr.sin_port));
  if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) Die("pipe");
  thread_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
}

FreezableProxy::~FreezableProxy() {
  thread_.request_stop();
  Wake();
  thread_.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void FreezableProxy::Freeze() {
  frozen_ = true;
  Wake();
}

void FreezableProxy::Thaw() {
  frozen_ = false;
  Wake();
}

void FreezableProxy::Wake() {
  const char byte = 0;
  (void)!::write(wake_[1], &byte, 1);
}

void FreezableProxy::Run(const std::stop_token& stop) {
  std::list<Link> links;
  while (!stop.stop_requested()) {
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    const bool frozen = frozen_;
    if (!frozen) {
      fds.push_back({listener_, POLLIN, 0});
      for (const Link& l : links) {
        fds.push_back({l.client,
                       static_cast<short>((l.up.size() < kMaxBuffered ? POLLIN : 0) |
                                          (l.down.empty() ? 0 : POLLOUT)),
                       0});
        fds.push_back({l.server,
                       static_cast<short>((l.down.size() < kMaxBuffered ? POLLIN : 0) |
                                          (l.up.empty() ? 0 : POLLOUT)),
                       0});
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) Die("poll");
    char drain[64];
    while (::read(wake_[0], drain, sizeof drain) > 0) {
    }
    if (frozen) continue;
    size_t i = 2;
    for (Link& l : links) {
      const short c = fds[i++].revents;
      const short s = fds[i++].revents;
      if ((c & (POLLIN | POLLHUP | POLLERR)) != 0 && !Pull(l.client, l.up)) l.open = false;
      if ((s & (POLLIN | POLLHUP | POLLERR)) != 0 && !Pull(l.server, l.down)) l.open = false;
      if (l.open && !l.up.empty() && !Push(l.server, l.up)) l.open = false;
      if (l.open && !l.down.empty() && !Push(l.client, l.down)) l.open = false;
    }
    for (auto it = links.begin(); it != links.end();) {
      if (it->open) {
        ++it;
        continue;
      }
      ::close(it->client);
      ::close(it->server);
      it = links.erase(it);
    }
    if ((fds[1].revents & POLLIN) != 0) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(static_cast<uint16_t>(target_port_));
      if (server < 0 || ::inet_pton(AF_INET, target_host_.c_str(), &to.sin_addr) != 1 ||
          ::connect(server, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(client);
        if (server >= 0) ::close(server);
        continue;
      }
      ::fcntl(server, F_SETFL, ::fcntl(server, F_GETFL) | O_NONBLOCK);
      links.push_back(Link{client, server});
    }
  }
  for (Link& l : links) {
    ::close(l.client);
    ::close(l.server);
  }
}

}  // namespace quarry::pgtest
