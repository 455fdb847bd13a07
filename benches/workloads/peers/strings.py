# String building: concatenation in a loop, interpolation, len, slicing, indexing, comparison
# and int() on the pieces (benches/workloads/svs/strings.svs).
def row(r):
    s = ""
    k = 0
    while k < 8:
        s = s + "item" + str(r + k) + ","
        k += 1
    return s


def main():
    rows = 600000
    total = 0
    check = 0
    small = 0
    for r in range(rows):
        s = row(r)
        line = f"{r % 1000}:{len(s)}|{s}"
        total += len(line)
        digit = line[len(line) - 2]
        mid = line[6:14]
        if mid < "item5":
            small += 1
        check = (check * 31 + int(digit) + len(mid)) % 1000003
    print(total)
    print(small)
    print(check)


main()
