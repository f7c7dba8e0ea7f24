"""Each learner's CPD record: entries from their certificates and the CPD they log
themself, their yearly target, exports for appraisal, and their team's totals for line
managers. Hears of certificates through `certificates.signals` (`lms.cpd.receivers`)."""
