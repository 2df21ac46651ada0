/// The OpenAPI document served at /openapi.yaml. Generated from docs/openapi.yaml by
/// scripts/embed_openapi.sh; a test checks the two are equal.
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.0.3
info:
  title: Trajectory prediction service
  version: 0.1.0
  description: |
    Next-item predictions from a trained Trajectory run (`trajectory serve RUN`).
    Item and user ids are the original ids of the raw logs. Histories are oldest first; a
    history longer than the model's max length is cut to its most recent items. Unknown item
    ids are skipped and reported. /v1 and /admin need `Authorization: Bearer <key>` (keys:
    `trajectory keys create`); /, /healthz, /readyz, /metrics and /openapi.yaml are open.
servers:
  - url: http://127.0.0.1:8080
security:
  - apiKey: []
paths:
  /v1/predict:
    post:
      summary: Top-k next items after a history
      operationId: predict
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/PredictRequest" }
      responses:
        "200":
          description: The most likely next items, best first.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/PredictResponse" }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "413": { $ref: "#/components/responses/TooLarge" }
        "503": { $ref: "#/components/responses/Overloaded" }
  /v1/predict/batch:
    post:
      summary: Several predictions in one call, answered in order
      operationId: predictBatch
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [requests]
              properties:
                requests:
                  type: array
                  minItems: 1
                  maxItems: 256
                  items: { $ref: "#/components/schemas/PredictRequest" }
      responses:
        "200":
          description: One answer per request, in order.
          content:
            application/json:
              schema:
                type: object
                required: [results]
                properties:
                  results:
                    type: array
                    items: { $ref: "#/components/schemas/PredictResponse" }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "413": { $ref: "#/components/responses/TooLarge" }
        "503": { $ref: "#/components/responses/Overloaded" }
  /v1/users/{id}/events:
    post:
      summary: Append events to a user's stored history
      description: The events are durable (committed to the history store) when the answer is sent.
      operationId: addUserEvents
      parameters:
        - $ref: "#/components/parameters/UserId"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [events]
              properties:
                events:
                  type: array
                  minItems: 1
                  maxItems: 1000
                  items:
                    type: object
                    required: [item]
                    properties:
                      item: { $ref: "#/components/schemas/StoredItemId" }
                      timestamp: { type: integer, format: int64, nullable: true, description: "Unix seconds; the server's clock when absent or null." }
      responses:
        "200":
          description: Stored.
          content:
            application/json:
              schema:
                type: object
                required: [user, accepted, history_length, unknown]
                properties:
                  user: { type: string }
                  accepted: { type: integer }
                  history_length: { type: integer, description: Events now stored for the user. }
                  unknown: { type: array, items: { type: string }, description: "Accepted items the current model does not know." }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "413": { $ref: "#/components/responses/TooLarge" }
        "503": { $ref: "#/components/responses/StoreUnavailable" }
  /v1/users/{id}/recommendations:
    get:
      summary: Top-k next items after a user's stored history
      operationId: userRecommendations
      parameters:
        - $ref: "#/components/parameters/UserId"
        - { name: k, in: query, schema: { type: integer, minimum: 1, maximum: 1000, default: 10 } }
        - { name: exclude_seen, in: query, schema: { type: boolean, default: false } }
      responses:
        "200":
          description: The prediction, and how long the stored history is.
          content:
            application/json:
              schema:
                type: object
                required: [user, history_length, prediction]
                properties:
                  user: { type: string }
                  history_length: { type: integer }
                  prediction: { $ref: "#/components/schemas/PredictResponse" }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "503": { $ref: "#/components/responses/StoreUnavailable" }
  /v1/model:
    get:
      summary: The model being served
      operationId: model
      responses:
        "200":
          description: Model card.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/ModelCard" }
        "401": { $ref: "#/components/responses/Unauthorized" }
  /v1/items:
    get:
      summary: Items whose title or id contains a text, most popular first
      operationId: searchItems
      parameters:
        - { name: q, in: query, schema: { type: string } }
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 200, default: 20 } }
      responses:
        "200":
          description: Matching items; score is the item's event count.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: { type: array, items: { $ref: "#/components/schemas/Item" } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
  /v1/stats:
    get:
      summary: Live totals (the web page polls this)
      operationId: stats
      responses:
        "200":
          description: Totals since start.
          content:
            application/json:
              schema:
                type: object
                required: [requests, errors, predictions, queued, uptime_seconds, resident_bytes]
                properties:
                  requests: { type: integer }
                  errors: { type: integer }
                  predictions: { type: integer }
                  queued: { type: integer }
                  uptime_seconds: { type: number }
                  resident_bytes: { type: integer }
        "401": { $ref: "#/components/responses/Unauthorized" }
  /admin/reload:
    post:
      summary: Load the run's best checkpoint again and swap it in
      description: Requests in flight finish with the previous model. SIGHUP and a new best checkpoint in the run directory do the same.
      operationId: reload
      responses:
        "200":
          description: Swapped.
          content:
            application/json:
              schema:
                type: object
                required: [previous, model, reloaded]
                properties:
                  previous: { type: string }
                  model: { type: string }
                  reloaded: { type: boolean, description: "False when the checkpoint had not changed." }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "500": { $ref: "#/components/responses/Error" }
  /healthz:
    get:
      summary: Liveness
      operationId: health
      security: []
      responses:
        "200":
          description: The process answers.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Health" }
  /readyz:
    get:
      summary: Readiness (model loaded, history store reachable)
      operationId: ready
      security: []
      responses:
        "200":
          description: Ready.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Health" }
        "503": { $ref: "#/components/responses/Error" }
  /metrics:
    get:
      summary: Prometheus metrics
      operationId: metrics
      security: []
      responses:
        "200":
          description: Prometheus text exposition format.
          content:
            text/plain:
              schema: { type: string }
  /openapi.yaml:
    get:
      summary: This document
      operationId: openapi
      security: []
      responses:
        "200":
          description: OpenAPI 3 YAML.
          content:
            application/yaml:
              schema: { type: object }
  /:
    get:
      summary: Web page (model card, live stats, playground)
      operationId: page
      security: []
      responses:
        "200":
          description: HTML.
          content:
            text/html:
              schema: { type: string }
components:
  securitySchemes:
    apiKey:
      type: http
      scheme: bearer
      description: "A key from `trajectory keys create` (trj_<id>_<secret>)."
  parameters:
    UserId:
      name: id
      in: path
      required: true
      description: "The user's id, percent-encoded in the path; decoded before use, so j%C3%A9, j%c3%a9 and jé are one user (a + is a literal plus)."
      schema: { type: string, minLength: 1, maxLength: 256 }
  schemas:
    ItemId:
      description: An original item id; integers are accepted and read as their decimal text. Ids the model does not know are skipped and reported.
      oneOf:
        - { type: string }
        - { type: integer, format: int64 }
    StoredItemId:
      description: An original item id to store (at most 256 characters); integers are read as their decimal text.
      oneOf:
        - { type: string, minLength: 1, maxLength: 256 }
        - { type: integer, format: int64 }
    PredictRequest:
      type: object
      required: [history]
      properties:
        history:
          type: array
          description: Original item ids, oldest first (empty → most popular items).
          items: { $ref: "#/components/schemas/ItemId" }
        k: { type: integer, minimum: 1, maximum: 1000, default: 10, nullable: true, description: "null means the default." }
        exclude_seen: { type: boolean, default: false, nullable: true, description: Leave out items already in the history (null means false). }
    Item:
      type: object
      required: [item, score]
      properties:
        item: { type: string }
        title: { type: string }
        score: { type: number }
    PredictResponse:
      type: object
      required: [items, model, unknown, history_used, source]
      properties:
        items: { type: array, items: { $ref: "#/components/schemas/Item" } }
        model: { type: string, description: The id of the model that answered. }
        unknown: { type: array, items: { type: string }, description: History ids the model does not know (skipped). }
        history_used: { type: integer, description: History items the model saw. }
        source: { type: string, enum: [model, popularity] }
    ModelCard:
      type: object
      required: [id, kind, run, checkpoint, dataset, max_length]
      properties:
        id: { type: string }
        kind: { type: string, enum: [lstm, sasrec, gru4rec] }
        run: { type: string }
        checkpoint: { type: string }
        checkpoint_modified: { type: string }
        loaded_at: { type: string }
        settings: { type: string }
        training: { type: string }
        trained_epochs: { type: integer }
        best_epoch: { type: integer }
        training_seconds: { type: number }
        validation:
          type: object
          description: Full-ranking validation metrics of the best epoch.
          additionalProperties: true
        dataset:
          type: object
          properties:
            path: { type: string }
            users: { type: integer }
            items: { type: integer }
            events: { type: integer }
        max_length: { type: integer }
        created: { type: string }
    Health:
      type: object
      required: [status]
      properties:
        status: { type: string }
        model: { type: string }
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: object
          required: [message]
          properties:
            message: { type: string }
  responses:
    BadRequest:
      description: Malformed JSON, a wrong type or a value out of range; the message names it.
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Error" }
    MethodNotAllowed:
      description: The path exists but not with this method; the Allow header lists the methods.
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Error" }
    Unauthorized:
      description: No valid API key. Always the same answer, whatever was wrong.
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Error" }
    TooLarge:
      description: The body is over 1 MiB.
    Overloaded:
      description: Too many predictions queued; retry after a second.
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Error" }
    StoreUnavailable:
      description: "The history store failed (a lock held too long, a lost connection): nothing was stored; retry after the Retry-After seconds. Also: too many predictions queued."
      headers:
        Retry-After: { schema: { type: integer } }
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Error" }
    Error:
      description: A failure, described.
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Error" }
"""#
}
