import os


def good(a):
    return a + 1


def broken(a:
    return a


class Fine:
    def method(self):
        return os.sep


x = (1, 2
