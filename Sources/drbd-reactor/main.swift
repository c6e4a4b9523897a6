import Reactor
print("placeholder")
