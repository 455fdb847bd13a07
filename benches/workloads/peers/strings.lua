-- String building: concatenation in a loop, string.format, #, sub, comparison and tonumber on
-- the pieces (benches/workloads/svs/strings.svs). Runs in Lua 5.4 and LuaJIT.
local function row(r)
    local s = ""
    for k = 0, 7 do
        s = s .. "item" .. tostring(r + k) .. ","
    end
    return s
end
local function main()
    local rows = 600000
    local total, check, small = 0, 0, 0
    for r = 0, rows - 1 do
        local s = row(r)
        local line = string.format("%d:%d|%s", r % 1000, #s, s)
        total = total + #line
        local digit = line:sub(#line - 1, #line - 1)
        local mid = line:sub(7, 14)
        if mid < "item5" then small = small + 1 end
        check = (check * 31 + tonumber(digit) + #mid) % 1000003
    end
    print(string.format("%d\n%d\n%d", total, small, check))
end
main()
