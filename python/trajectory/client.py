"""The HTTP API of `trajectory serve`, with the standard library only (docs/api.md)."""
import json
import urllib.error
import urllib.parse
import urllib.request


class APIError(Exception):
    """The server answered with an error: `status` and its message."""

    def __init__(self, status, message, retry_after=None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after


class BadRequest(APIError):
    """400: a malformed body or a value out of range; the message names the field."""


class Unauthorized(APIError):
    """401: no valid API key."""


class NotFound(APIError):
    """404."""


class Unavailable(APIError):
    """503: too many predictions queued, or the history store failing; see `retry_after`."""


_ERRORS = {400: BadRequest, 401: Unauthorized, 404: NotFound, 503: Unavailable}


class Client:
    """A client of one server: `Client("http://127.0.0.1:8080", key="…")` (no key with `serve --no-auth`)."""

    def __init__(self, url, key=None, timeout=10.0):
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def _call(self, method, path, body=None, query=None):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                message = json.loads(payload)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = payload.decode(errors="replace") or error.reason
            retry = error.headers.get("Retry-After")
            raise _ERRORS.get(error.code, APIError)(error.code, message, float(retry) if retry else None) from None
        return json.loads(payload) if payload else None

    def predict(self, history, k=10, exclude_seen=False):
        """The k most likely next items after `history` (original item ids, oldest first; an entry
        may be a dict {"item": id, "event": "cart", "ts": "2026-11-28T10:00:00Z"} for a model
        trained with --features event,time-gap)."""
        return self._call("POST", "/v1/predict", {"history": list(history), "k": k, "exclude_seen": exclude_seen})

    def predict_batch(self, histories, k=10, exclude_seen=False):
        """One answer per history, in order."""
        requests = [{"history": list(h), "k": k, "exclude_seen": exclude_seen} for h in histories]
        return self._call("POST", "/v1/predict/batch", {"requests": requests})["results"]

    def add_events(self, user, items, timestamps=None, event_types=None):
        """Appends events to `user`'s stored history (durable when this returns); `event_types`
        (view, cart, …) are kept for models trained with --features event."""
        times = timestamps or [None] * len(items)
        types = event_types or [None] * len(items)
        events = []
        for item, time, kind in zip(items, times, types):
            event = {"item": item}
            if time is not None:
                event["timestamp"] = time
            if kind is not None:
                event["event"] = kind
            events.append(event)
        return self._call("POST", f"/v1/users/{urllib.parse.quote(str(user), safe='')}/events", {"events": events})

    def recommendations(self, user, k=10, exclude_seen=False):
        """The k most likely next items after `user`'s stored history."""
        return self._call("GET", f"/v1/users/{urllib.parse.quote(str(user), safe='')}/recommendations",
                          query={"k": k, "exclude_seen": exclude_seen})

    def model(self):
        """The served model's card."""
        return self._call("GET", "/v1/model")

    def reload(self):
        """Loads the run's newest best checkpoint (admin)."""
        return self._call("POST", "/admin/reload")

    def healthy(self):
        try:
            self._call("GET", "/healthz")
            return True
        except (APIError, OSError):
            return False
