local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  prefix = args[1]
  form = args[2] == "form"
  stamp = args[3] or ""
  -- A fifth argument: cycle through that many addresses (repeats) instead.
  pool = tonumber(args[5])
  n = 0
end
function request()
  n = n + 1
  local email
  if pool then
    -- wrk runs two threads (-t2): between them they cover the whole pool.
    email = string.format("%s-%d@example.com", prefix, (n * 2 + tid) % pool)
  else
    email = string.format("%s-%d-%d@example.com", prefix, tid, n)
  end
  if form then
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"},
      "name=Bench+Signer&country=GB&started=" .. stamp .. "&email=" .. email:gsub("@", "%%40"))
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    string.format('{"name":"Bench Signer","email":"%s","country":"GB"}', email))
end
