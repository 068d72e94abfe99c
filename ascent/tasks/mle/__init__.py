"""The MLE family: Kaggle-style competitions graded on private answers, with medals."""
