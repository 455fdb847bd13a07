# Method calls on objects: three classes share one protocol (area, grow, shrink) and are
# called on a mixed list (benches/workloads/svs/methods.svs).
class Shape:
    def __init__(self, w, h):
        self.w = w
        self.h = h

    def grow(self, k):
        self.w = (self.w + k) % 97 + 1
        self.h = (self.h + 2 * k) % 89 + 1

    def shrink(self):
        if self.w > 2:
            self.w = self.w - 1


class Rect(Shape):
    def area(self):
        return self.w * self.h


class Square(Shape):
    def area(self):
        return self.w * self.w


class Tri(Shape):
    def area(self):
        return self.w * self.h // 2


def main():
    rounds = 20000000
    shapes = []
    for i in range(30):
        if i % 3 == 0:
            shapes.append(Rect(i + 1, i + 2))
        elif i % 3 == 1:
            shapes.append(Square(i + 3, i + 3))
        else:
            shapes.append(Tri(i + 4, i + 5))
    n = len(shapes)
    total = 0
    check = 0
    for r in range(rounds):
        s = shapes[r % n]
        a = s.area()
        total += a
        if a % 2 == 0:
            s.grow(r % 5)
        else:
            s.shrink()
        check = (check * 31 + a) % 1000003
    print(total)
    print(check)


main()
