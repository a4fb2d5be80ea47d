"""User acts that span stages: each is one transaction over the services of the layers below.

A view or a command calls an act when what the user did touches more than one stage, e.g. a
calendar change (bureau) that moves publication deadlines (inspections), or a draw (planning)
that creates the inspections it decided (inspections). The services stay in their own layer and
never import upwards; the act is where they meet.
"""
