"""Impact: the training's evaluation at Kirkpatrick's four levels (reaction, learning,
behaviour, results) and the follow-ups that ask what trainees went on to do."""
