"""The migrations, oldest first.

- :mod:`.m0001_classes`: the classes, their students and their answers.
"""
