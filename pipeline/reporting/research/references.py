"""The references of the research report (Vancouver style), cited in the text as ``[@key]``
and numbered in order of first citation by :mod:`pipeline.reporting.research.numbering`."""

from __future__ import annotations

#: key -> reference as printed.
REFERENCES: dict[str, str] = {
    "tripod_ai": "Collins GS, Moons KGM, Dhiman P, et al. TRIPOD+AI statement: updated guidance "
    "for reporting clinical prediction models that use regression or machine learning methods. "
    "BMJ 2024;385:e078378.",
    "strobe": "von Elm E, Altman DG, Egger M, et al. The Strengthening the Reporting of "
    "Observational Studies in Epidemiology (STROBE) statement: guidelines for reporting "
    "observational studies. Lancet 2007;370:1453\u20131457.",
    "lowe_2022": "L\u00f6we B, Andresen V, Van den Bergh O, et al. Persistent SOMAtic symptoms "
    "ACROSS diseases \u2014 from risk factors to modification: scientific framework and "
    "overarching protocol of the interdisciplinary SOMACROSS research unit (RU 5211). BMJ Open "
    "2022;12:e057596.",
    "ssd12": "Toussaint A, Murray AM, Voigt K, et al. Development and validation of the Somatic "
    "Symptom Disorder\u2013B Criteria Scale (SSD-12). Psychosom Med 2016;78:5\u201312.",
    "kop_2019": "Kop WJ, Toussaint A, Mols F, L\u00f6we B. Somatic symptom disorder in the "
    "general population: associations with medical status and health care utilization using "
    "the SSD-12. Gen Hosp Psychiatry 2019;56:36\u201341.",
    "eq5d5l": "Herdman M, Gudex C, Lloyd A, et al. Development and preliminary testing of the "
    "new five-level version of EQ-5D (EQ-5D-5L). Qual Life Res 2011;20:1727\u20131736.",
    "versteegh_2016": "Versteegh MM, Vermeulen KM, Evers SMAA, de Wit GA, Prenger R, Stolk EA. "
    "Dutch tariff for the five-level version of EQ-5D. Value Health 2016;19:343\u2013352.",
    "lamers_2006": "Lamers LM, McDonnell J, Stalmeier PFM, Krabbe PFM, Busschbach JJV. The "
    "Dutch tariff: results and arguments for an effective design for national EQ-5D valuation "
    "studies. Health Econ 2006;15:1121\u20131132.",
    "rand36": "Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health Survey 1.0. Health "
    "Econ 1993;2:217\u2013227.",
    "vanderzee_1996": "VanderZee KI, Sanderman R, Heyink JW, de Haes H. Psychometric qualities "
    "of the RAND 36-Item Health Survey 1.0: a multidimensional measure of general health "
    "status. Int J Behav Med 1996;3:104\u2013122.",
    "phq15": "Kroenke K, Spitzer RL, Williams JBW. The PHQ-15: validity of a new measure for "
    "evaluating the severity of somatic symptoms. Psychosom Med 2002;64:258\u2013266.",
    "jacobson_1991": "Jacobson NS, Truax P. Clinical significance: a statistical approach to "
    "defining meaningful change in psychotherapy research. J Consult Clin Psychol "
    "1991;59:12\u201319.",
    "austin_2009": "Austin PC. Balance diagnostics for comparing the distribution of baseline "
    "covariates between treatment groups in propensity-score matched samples. Stat Med "
    "2009;28:3083\u20133107.",
    "laird_ware": "Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics "
    "1982;38:963\u2013974.",
    "lme4": "Bates D, M\u00e4chler M, Bolker B, Walker S. Fitting linear mixed-effects models "
    "using lme4. J Stat Softw 2015;67(1):1\u201348.",
    "lmertest": "Kuznetsova A, Brockhoff PB, Christensen RHB. lmerTest package: tests in linear "
    "mixed effects models. J Stat Softw 2017;82(13):1\u201326.",
    "kaplan_meier": "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
    "J Am Stat Assoc 1958;53:457\u2013481.",
    "aalen_johansen": "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous "
    "Markov chains based on censored observations. Scand J Stat 1978;5:141\u2013150.",
    "gray_1988": "Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a "
    "competing risk. Ann Stat 1988;16:1141\u20131154.",
    "putter_2007": "Putter H, Fiocco M, Geskus RB. Tutorial in biostatistics: competing risks "
    "and multi-state models. Stat Med 2007;26:2389\u20132430.",
    "cox_1972": "Cox DR. Regression models and life-tables. J R Stat Soc Series B "
    "1972;34:187\u2013220.",
    "grambsch_1994": "Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based "
    "on weighted residuals. Biometrika 1994;81:515\u2013526.",
    "riley_2020": "Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for "
    "developing a clinical prediction model. BMJ 2020;368:m441.",
    "riley_2019_continuous": "Riley RD, Snell KIE, Ensor J, et al. Minimum sample size for "
    "developing a multivariable prediction model: Part I \u2013 continuous outcomes. Stat Med "
    "2019;38:1262\u20131275.",
    "van_der_ploeg_2014": "van der Ploeg T, Austin PC, Steyerberg EW. Modern modelling "
    "techniques are data hungry: a simulation study for predicting dichotomous endpoints. BMC "
    "Med Res Methodol 2014;14:137.",
    "mice": "van Buuren S, Groothuis-Oudshoorn K. mice: Multivariate imputation by chained "
    "equations in R. J Stat Softw 2011;45(3):1\u201367.",
    "rubin_1987": "Rubin DB. Multiple Imputation for Nonresponse in Surveys. New York: Wiley; "
    "1987.",
    "steyerberg_2019": "Steyerberg EW. Clinical Prediction Models: A Practical Approach to "
    "Development, Validation, and Updating. 2nd ed. Cham: Springer; 2019.",
    "van_calster_2019": "Van Calster B, McLernon DJ, van Smeden M, et al. Calibration: the "
    "Achilles heel of predictive analytics. BMC Med 2019;17:230.",
    "vickers_2006": "Vickers AJ, Elkin EB. Decision curve analysis: a novel method for "
    "evaluating prediction models. Med Decis Making 2006;26:565\u2013574.",
    "le_cessie_1992": "le Cessie S, van Houwelingen JC. Ridge estimators in logistic regression. "
    "Appl Stat 1992;41:191\u2013201.",
    "breiman_2001": "Breiman L. Random forests. Mach Learn 2001;45:5\u201332.",
    "friedman_2001": "Friedman JH. Greedy function approximation: a gradient boosting machine. "
    "Ann Stat 2001;29:1189\u20131232.",
    "fisher_2019": "Fisher A, Rudin C, Dominici F. All models are wrong, but many are useful: "
    "learning a variable's importance by studying an entire class of prediction models "
    "simultaneously. J Mach Learn Res 2019;20(177):1\u201381.",
    "nadeau_2003": "Nadeau C, Bengio Y. Inference for the generalization error. Mach Learn "
    "2003;52:239\u2013281.",
    "vickers_altman_2001": "Vickers AJ, Altman DG. Analysing controlled trials with baseline and "
    "follow up measurements. BMJ 2001;323:1123\u20131124.",
    "harrell_1996": "Harrell FE, Lee KL, Mark DB. Multivariable prognostic models: issues in "
    "developing models, evaluating assumptions and adequacy, and measuring and reducing errors. "
    "Stat Med 1996;15:361\u2013387.",
    "hundepool_2012": "Hundepool A, Domingo-Ferrer J, Franconi L, et al. Statistical Disclosure "
    "Control. Chichester: Wiley; 2012.",
}
