"""Every check of HTTP input, by audience: ``applicant`` (application form, check-answers,
tracking), ``feedback`` (page feedback, ratings, 意见箱), ``staff`` (login, accounts, workflow,
filters). Shared parts: ``messages`` (what people read), ``values`` (pure ``clean_*`` checks),
``fields`` (validators and one field class per question type), ``display`` (answers as text).
"""
