"""Renders docs/api.md from docs/openapi.yaml (run: python3 scripts/docs/api_reference.py)."""
import yaml

spec = yaml.safe_load(open("docs/openapi.yaml"))
schemas = spec["components"]["schemas"]
responses = spec["components"]["responses"]


def describe(schema, depth=0):
    """A one-line description of a schema."""
    if "$ref" in schema:
        return f"`{schema['$ref'].split('/')[-1]}`"
    if "oneOf" in schema:
        return " or ".join(describe(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {describe(schema.get('items', {}))}"
    if kind == "object" and "properties" in schema and depth < 1:
        return "object {" + ", ".join(f"{k}: {describe(v, depth + 1)}" for k, v in schema["properties"].items()) + "}"
    limits = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems") if k in schema]
    extra = f" ({', '.join(limits)})" if limits else ""
    if "enum" in schema:
        extra += " one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if schema.get("nullable"):
        extra += ", nullable"
    return f"{kind}{extra}"


lines = ["# API reference", "", "Generated from [openapi.yaml](openapi.yaml) by `scripts/docs/api_reference.py`; "
         "the guide to the service is [serving.md](serving.md).", "", spec["info"]["description"].strip(), ""]
for path, operations in spec["paths"].items():
    for method, op in operations.items():
        lines += [f"## `{method.upper()} {path}`", "", op.get("summary", "") + ".", ""]
        if op.get("description"):
            lines += [op["description"].strip(), ""]
        lines += ["Auth: " + ("none" if op.get("security") == [] else "`Authorization: Bearer <key>`"), ""]
        for parameter in op.get("parameters", []):
            if "$ref" in parameter:
                parameter = spec["components"]["parameters"][parameter["$ref"].split("/")[-1]]
            lines.append(f"- {parameter['in']} parameter `{parameter['name']}`: {describe(parameter['schema'])}")
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            lines.append(f"- body: {describe(body)}")
        for status, response in op["responses"].items():
            if "$ref" in response:
                response = responses[response["$ref"].split("/")[-1]]
            content = response.get("content", {})
            shape = next((describe(c["schema"]) for c in content.values() if "schema" in c), "")
            lines.append(f"- **{status}**: {response['description']}" + (f" — {shape}" if shape else ""))
        lines.append("")
lines += ["## Schemas", ""]
for name, schema in schemas.items():
    lines.append(f"### `{name}`")
    lines.append("")
    if schema.get("description"):
        lines += [schema["description"], ""]
    for key, value in schema.get("properties", {}).items():
        required = " (required)" if key in schema.get("required", []) else ""
        note = f" — {value['description']}" if isinstance(value, dict) and value.get("description") else ""
        lines.append(f"- `{key}`{required}: {describe(value, 1)}{note}")
    if "oneOf" in schema:
        lines.append(f"- {describe(schema)}")
    lines.append("")
open("docs/api.md", "w").write("\n".join(lines))
