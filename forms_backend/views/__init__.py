"""The pages, one module per family (one blueprint each): ``apply`` (online applications),
``track`` (status lookup), ``feedback`` (page feedback, ratings, 意见箱), ``auth`` (staff login),
``staff`` (the staff console, split by area), ``static_site`` (the built guide under ``guide serve``).
Views coordinate: forms validate, storage writes, ``reports`` and ``mail.compose`` do the work.
"""
