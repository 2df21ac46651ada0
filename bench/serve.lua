-- wrk script for bench/serve.sh: POST /v1/predict cycling through prepared bodies (one JSON per line).
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("KEY") }
local next_body = math.random(#bodies)

request = function()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[next_body])
end
