-- Closures: every round creates a counter closure that updates a captured local (upvalue), an
-- adder that captures a parameter, and their composition, then calls them
-- (benches/workloads/svs/closures.svs). Runs in Lua 5.4 and LuaJIT.
local function make_counter(start, step)
    local count = start
    return function()
        count = count + step
        return count
    end
end
local function make_adder(k)
    return function(x) return x + k end
end
local function compose(f, g)
    return function(x) return f(g(x)) end
end
local function main()
    local rounds = 5000000
    local double = function(x) return x * 2 end
    local total = 0
    for r = 0, rounds - 1 do
        local counter = make_counter(r % 100, r % 7 + 1)
        counter()
        counter()
        local h = compose(make_adder(r % 13), double)
        total = (total + counter() + h(r % 1000)) % 1000000007
    end
    print(string.format("%d", total))
end
main()
