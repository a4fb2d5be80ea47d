"""Shuangsuiji: 双随机、一公开 supervision platform."""
