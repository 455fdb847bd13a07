# Closures: every round creates a counter closure that updates a captured local (nonlocal), an
# adder that captures a parameter, and their composition, then calls them
# (benches/workloads/svs/closures.svs).
def make_counter(start, step):
    count = start

    def next_value():
        nonlocal count
        count += step
        return count

    return next_value


def make_adder(k):
    return lambda x: x + k


def compose(f, g):
    return lambda x: f(g(x))


def main():
    rounds = 5000000
    double = lambda x: x * 2
    total = 0
    for r in range(rounds):
        counter = make_counter(r % 100, r % 7 + 1)
        counter()
        counter()
        h = compose(make_adder(r % 13), double)
        total = (total + counter() + h(r % 1000)) % 1000000007
    print(total)


main()
