"""What each problem ``type`` of the API means, so that the type IRIs resolve.

RFC 9457 asks that a problem type URI, when dereferenced, give human-readable
documentation of the problem. Every ``kind`` the API answers with is listed here (a test
scans the code for kinds and fails on one missing here), and ``/problems/{kind}`` serves
its entry as JSON or a short page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemType:
    statuses: tuple[int, ...]  # the HTTP statuses a problem of this kind comes with
    title: str
    description: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    "invalid-parameter": ProblemType(
        (400,), "Invalid parameter",
        "A query parameter is missing, repeated, out of range or not one of the accepted "
        "values. The problem's `parameter` member names it and `detail` says what was expected."),
    "not-found": ProblemType(
        (404,), "Not found",
        "Nothing is at this path: the graph says nothing about the IRI, or the name is not a "
        "term of the ontology or a shape of the gate."),
    "not-acceptable": ProblemType(
        (406,), "Not acceptable",
        "None of the formats this resource is offered in matches the request's Accept header or "
        "format= parameter; `offered` lists the media types that are."),
    "method-not-allowed": ProblemType(
        (405,), "Method not allowed", "The resource does not answer this HTTP method."),
    "unsupported-media-type": ProblemType(
        (415,), "Unsupported media type",
        "A POST to /sparql must be application/sparql-query or application/x-www-form-urlencoded."),
    "body-too-large": ProblemType(
        (413,), "Request body too large",
        "The request body is larger than the setting HKKG_MAX_BODY_BYTES allows."),
    "uri-too-long": ProblemType(
        (414,), "URI too long",
        "The request's URL is longer than the HTTP parser reads (65,535 bytes). Send a long "
        "SPARQL query by POST."),
    "headers-too-large": ProblemType(
        (431,), "Request header fields too large",
        "The request's header fields together are larger than 65,536 bytes, or more than 128 "
        "fields."),
    "malformed-request": ProblemType(
        (400,), "Malformed request", "The HTTP request could not be parsed."),
    "upgrade-not-supported": ProblemType(
        (400,), "Upgrade not supported",
        "The server answers in HTTP/1.1. An offer to upgrade the protocol is ignored on a "
        "connection's first request only; send later requests without an Upgrade header."),
    "missing-query": ProblemType(
        (400,), "Missing query", "A SPARQL protocol request without a query= parameter or body."),
    "malformed-query": ProblemType(
        (400,), "Malformed query",
        "The SPARQL parser refused the query; `detail` gives its message and position."),
    "query-too-long": ProblemType(
        (414, 400), "Query too long",
        "The query is longer than the setting HKKG_MAX_QUERY_LENGTH allows: 414 when it came in "
        "the URL (GET), 400 in a POST body."),
    "query-refused": ProblemType(
        (400,), "Query refused", "The query asks for something the endpoint does not do."),
    "read-only": ProblemType(
        (403,), "Read-only endpoint",
        "SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP ...) is refused: the graph "
        "changes only by a new build."),
    "federation-refused": ProblemType(
        (400,), "SERVICE refused",
        "Federated queries (SERVICE) are refused before execution: the endpoint never fetches "
        "anything from elsewhere."),
    "query-failed": ProblemType(
        (400,), "Query failed", "The engine could not evaluate the query; `detail` says why."),
    "too-many-queries": ProblemType(
        (429,), "Too many queries at once",
        "This client already runs as many queries at once as the setting HKKG_CLIENT_QUERIES "
        "allows, and none of them ended within the time limit. Wait for answers before "
        "sending more; Retry-After says how long."),
    "query-memory": ProblemType(
        (503,), "Query needed too much memory",
        "The query needed more memory than a query worker may use (the setting "
        "HKKG_WORKER_MEMORY_MB); its worker was replaced. Ask for less: fewer or shorter "
        "values, a LIMIT."),
    "query-timeout": ProblemType(
        (503,), "Query timed out",
        "The query ran past its time limit (the setting HKKG_QUERY_TIMEOUT_S, or a lower "
        "timeout= of the request) and was stopped; its worker process was replaced."),
    "endpoint-busy": ProblemType(
        (503,), "Endpoint busy",
        "Every query worker stayed busy for the whole time limit; retry after the time given "
        "in Retry-After."),
    "worker-crashed": ProblemType(
        (500,), "Query worker crashed",
        "The process running the query ended unexpectedly; it has been replaced."),
    "service-unavailable": ProblemType(
        (503,), "Service unavailable", "The query workers are not running."),
    "store-not-built": ProblemType(
        (503,), "No published graph", "No build has been published yet: run `hkkg build`."),
    "store-unavailable": ProblemType(
        (502, 503), "Store unavailable",
        "The remote SPARQL store (the setting HKKG_STORE_URL) did not answer or answered "
        "something unreadable: 502 for a query, 503 from /healthz (so a load balancer skips "
        "this replica)."),
}
