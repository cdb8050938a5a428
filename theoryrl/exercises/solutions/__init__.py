"""Reference solutions of the course exercises, one plain-numpy module per exercise.

They are what an instructor hands out after the deadline and what the tests
grade to show every grader accepts a correct answer. Each file only uses
numpy (and the standard library), as a student's file would; get a path with
:func:`theoryrl.exercises.solution_path`.
"""
