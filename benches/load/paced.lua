local sign_init = init
function init(args)
  sign_init(args)
  pause = tonumber(args[4]) or 0
end
function delay()
  return pause
end
