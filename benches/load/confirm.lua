local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  tokens = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % tonumber(args[2]) == tid then tokens[#tokens + 1] = line end
    i = i + 1
  end
  n = 0
end
function request()
  n = n + 1
  return wrk.format("POST", "/s/" .. tokens[(n - 1) % #tokens + 1])
end
