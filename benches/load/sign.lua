local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  prefix = args[1]
  form = args[2] == "form"
  stamp = args[3] or ""
  n = 0
end
function request()
  n = n + 1
  local email = string.format("%s-%d-%d@example.com", prefix, tid, n)
  if form then
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"},
      "name=Bench+Signer&country=GB&started=" .. stamp .. "&email=" .. email:gsub("@", "%%40"))
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    string.format('{"name":"Bench Signer","email":"%s","country":"GB"}', email))
end
