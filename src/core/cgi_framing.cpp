#include "core/cgi_framing.hpp"

namespace wsexec {

CgiFraming cgi_framing(const CgiFramingFacts& facts) {
  CgiFraming framing;
  framing.keep_alive = facts.client_keep_alive;
  if (facts.script_length) {
    framing.body = CgiFraming::Body::script_length;
    framing.content_length = *facts.script_length;
  } else if (facts.complete_body_length) {
    framing.body = CgiFraming::Body::whole;
    framing.content_length = *facts.complete_body_length;
  } else if (facts.head) {
    framing.body = CgiFraming::Body::none;
  } else if (facts.http_version >= 11) {
    framing.body = CgiFraming::Body::chunked;
  } else {
    framing.body = CgiFraming::Body::until_close;
    framing.keep_alive = false;
  }
  return framing;
}

}  // namespace wsexec
