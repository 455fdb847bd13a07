-- Method calls on objects: three classes (metatables) share one protocol (area, grow, shrink)
-- and are called as obj:method() on a mixed array (benches/workloads/svs/methods.svs).
-- Runs in Lua 5.4 and LuaJIT (no // operator: math.floor on non-negative values).
local Shape = {}
Shape.__index = Shape
function Shape:grow(k)
    self.w = (self.w + k) % 97 + 1
    self.h = (self.h + 2 * k) % 89 + 1
end
function Shape:shrink()
    if self.w > 2 then self.w = self.w - 1 end
end
local function class(area)
    local c = setmetatable({area = area}, Shape)
    c.__index = c
    return c
end
local Rect = class(function(self) return self.w * self.h end)
local Square = class(function(self) return self.w * self.w end)
local Tri = class(function(self) return math.floor(self.w * self.h / 2) end)
local function new(c, w, h) return setmetatable({w = w, h = h}, c) end
local function main()
    local rounds = 20000000
    local shapes = {}
    for i = 0, 29 do
        if i % 3 == 0 then shapes[#shapes + 1] = new(Rect, i + 1, i + 2)
        elseif i % 3 == 1 then shapes[#shapes + 1] = new(Square, i + 3, i + 3)
        else shapes[#shapes + 1] = new(Tri, i + 4, i + 5) end
    end
    local n = #shapes
    local total, check = 0, 0
    for r = 0, rounds - 1 do
        local s = shapes[r % n + 1]
        local a = s:area()
        total = total + a
        if a % 2 == 0 then s:grow(r % 5) else s:shrink() end
        check = (check * 31 + a) % 1000003
    end
    print(string.format("%d\n%d", total, check))
end
main()
