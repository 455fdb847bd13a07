-- JSON round-trips; see benches/workloads/svs/json.svs. Lua has no standard JSON library, so
-- this file carries a small general one: objects remember their key order (in a weak table) so
-- that a parsed value serialises back to the same text. Numbers are integers only (all the
-- workload uses). Runs in Lua 5.4 and LuaJIT.
local order = setmetatable({}, {__mode = "k"})

local function object(...)
    local t, keys = {}, {}
    local args = {...}
    for i = 1, #args, 2 do
        keys[#keys + 1] = args[i]
        t[args[i]] = args[i + 1]
    end
    order[t] = keys
    return t
end

local ESC = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local function encode(v, out)
    local t = type(v)
    if t == "number" then
        out[#out + 1] = string.format("%d", v)
    elseif t == "string" then
        out[#out + 1] = '"' .. v:gsub('[%c"\\]', ESC) .. '"'
    elseif t == "boolean" then
        out[#out + 1] = v and "true" or "false"
    elseif order[v] then
        out[#out + 1] = "{"
        for i, k in ipairs(order[v]) do
            if i > 1 then out[#out + 1] = "," end
            out[#out + 1] = '"' .. k .. '":'
            encode(v[k], out)
        end
        out[#out + 1] = "}"
    else
        out[#out + 1] = "["
        for i = 1, #v do
            if i > 1 then out[#out + 1] = "," end
            encode(v[i], out)
        end
        out[#out + 1] = "]"
    end
end
local function stringify(v)
    local out = {}
    encode(v, out)
    return table.concat(out)
end

local UNESC = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', n = '\n', r = '\r', t = '\t', b = '\b', f = '\f'}
local parse_value
local function skip(s, i)
    return s:find("[^ \t\r\n]", i) or #s + 1
end
local function parse_string(s, i)
    local j = s:find('["\\]', i + 1)
    if s:sub(j, j) == '"' then return s:sub(i + 1, j - 1), j + 1 end
    local parts = {}
    local k = i + 1
    while true do
        j = s:find('["\\]', k)
        parts[#parts + 1] = s:sub(k, j - 1)
        if s:sub(j, j) == '"' then return table.concat(parts), j + 1 end
        local e = UNESC[s:sub(j + 1, j + 1)] or error("unsupported escape at " .. j)
        parts[#parts + 1] = e
        k = j + 2
    end
end
function parse_value(s, i)
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "{" then
        local t, keys = {}, {}
        order[t] = keys
        i = skip(s, i + 1)
        if s:sub(i, i) == "}" then return t, i + 1 end
        while true do
            local k, v
            k, i = parse_string(s, skip(s, i))
            i = skip(s, i) + 1 -- ':'
            v, i = parse_value(s, i)
            if t[k] == nil then keys[#keys + 1] = k end
            t[k] = v
            i = skip(s, i)
            c = s:sub(i, i)
            i = i + 1
            if c == "}" then return t, i end
        end
    elseif c == "[" then
        local t = {}
        i = skip(s, i + 1)
        if s:sub(i, i) == "]" then return t, i + 1 end
        while true do
            t[#t + 1], i = parse_value(s, i)
            i = skip(s, i)
            c = s:sub(i, i)
            i = i + 1
            if c == "]" then return t, i end
        end
    elseif c == '"' then
        return parse_string(s, i)
    elseif c == "t" then
        return true, i + 4
    elseif c == "f" then
        return false, i + 5
    else
        local j = s:find("[^-0-9]", i) or #s + 1
        return tonumber(s:sub(i, j - 1)), j
    end
end
local function parse(s)
    return (parse_value(s, 1))
end

local function record(i)
    return object("id", i, "name", "user" .. tostring(i), "active", i % 3 == 0,
        "scores", {i % 10, i % 7, i % 5}, "pos", object("x", i % 100, "y", i % 37))
end

local function main()
    local rounds = 2000
    local n = 100
    local data = {}
    for i = 0, n - 1 do data[i + 1] = record(i) end
    local total, check, same = 0, 0, 0
    for r = 0, rounds - 1 do
        data[r % n + 1].pos.x = r % 1000
        local text = stringify(object("round", r, "items", data))
        local back = parse(text)
        total = total + #text
        local it = back.items[(r * 7) % n + 1]
        check = (check * 31 + it.pos.x + it.scores[2] + #it.name + back.round) % 1000003
        if it.active then check = (check + 1) % 1000003 end
        if stringify(back) == text then same = same + 1 end
    end
    print(string.format("%d\n%d\n%d", total, check, same))
end
main()
