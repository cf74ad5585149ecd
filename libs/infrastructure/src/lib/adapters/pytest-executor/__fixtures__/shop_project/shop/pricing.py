"""Hand-counted fixture: 18 statements and 10 branch arcs (see the comment on each line)."""  # a docstring: not a statement

RATE = 3  # stmt 1


def classify(n):  # stmt 2
    if n < 0:  # stmt 3, branches 7->8 and 7->9
        return "negative"  # stmt 4
    elif n == 0:  # stmt 5, branches 9->10 and 9->11
        return "zero"  # stmt 6
    return "positive"  # stmt 7


def total(items):  # stmt 8
    result = 0  # stmt 9
    for item in items:  # stmt 10, branches 16->17 and 16->21
        if item > 10:  # stmt 11, branches 17->18 and 17->20
            result += item * RATE  # stmt 12
        else:
            result += item  # stmt 13
    return result  # stmt 14


def unused(flag):  # stmt 15
    if flag:  # stmt 16, branches 25->26 and 25->27
        return 1  # stmt 17
    return 0  # stmt 18
