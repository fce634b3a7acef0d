// The control plane's REST API (docs/API.md): authenticates each request with the tokens file,
// checks what its role may reach, reads its body and query, hands the work to the control
// plane's thread and writes the answer as JSON. Errors are JSON too, with the status that says
// what kind they are; a tenant sees its own jobs only (another's is 404, as a missing one).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/control_plane.h"
#include "server/http_server.h"
#include "server/tokens.h"

namespace gpufleet {

struct ApiOptions {
  // Requests a second each tenant or admin token may make (a token bucket that holds two seconds'
  // worth); beyond it 429 with Retry-After. Agent tokens are not limited: their rate is their
  // heartbeat. 0: no limit.
  double rate_per_token = 0;
  // The dashboard's page, answered at `/` without a token (its data comes from the API, with the
  // token the person enters). Empty: `/` answers 503 with `dashboard_missing`.
  std::string dashboard_page;
  std::string dashboard_missing = "this server has no dashboard";
};

// Every route the API answers, as docs/openapi.json names it and /metrics labels it (ids and
// names as {id} and {name}).
const std::vector<std::string>& ApiRoutes();

// The handler for HttpServer. `plane` and `tokens` must outlive every request it handles (stop
// the HttpServer first).
HttpHandler MakeApi(ControlPlane& plane, const TokenTable& tokens, ApiOptions options = {});

}  // namespace gpufleet
