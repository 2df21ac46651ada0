#!/usr/bin/env bash
# Regenerates Sources/Serving/OpenAPIDocument.swift from docs/openapi.yaml (the source of truth),
# so the binary serves the document without reading files at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo '/// The OpenAPI document served at /openapi.yaml. Generated from docs/openapi.yaml by'
  echo '/// scripts/embed_openapi.sh; a test checks the two are equal.'
  echo 'enum OpenAPIDocument {'
  echo '    static let yaml = #"""'
  cat docs/openapi.yaml
  echo '"""#'
  echo '}'
} > Sources/Serving/OpenAPIDocument.swift.tmp
mv Sources/Serving/OpenAPIDocument.swift.tmp Sources/Serving/OpenAPIDocument.swift
