"""Sample inputs for the QIPP and action plan trackers, transcribed from two public board papers.

These are not generated figures: they are the tables of

* South West Essex PCT, QIPP turnaround report to the PCT board, 26 May 2011: "Appendix 1 -
  2010/11 Performance by scheme" (QIPP tracker, month 12, £m), and
* Harrow PCT action plan (from the PCT Development Needs Self Assessment, 2003/04, Appendix B),

re-keyed into the layout finance and programme teams keep them in: an XLSX workbook with a
title block, a two-row header, workstream header rows, scheme rows, blank-named subtotal rows,
a TOTAL row and a YTD yield row; amounts in £m with savings in brackets, ``-`` for nil. The
file names start ``TRANSCRIBED_`` so nobody mistakes them for current data.

Where the source text is damaged the transcription says so (TRANSCRIPTION_NOTES) rather than
guessing silently. Run ``python -m helpers.synthetic`` (or :func:`generate`) to rewrite them;
the output is byte-for-byte stable (fixed workbook and ZIP times).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

QIPP_FOLDER = "qipp_tracker"
ACTIONS_FOLDER = "action_plan"
QIPP_STEM = "TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12"
ACTIONS_STEM = "TRANSCRIBED_Harrow_PCT_action_plan_2003-04"
FIXED_TIME = dt.datetime(2011, 5, 11)  # the tracker's own date; keeps the XLSX bytes stable

QIPP_TITLE = ["SUMMARY OF INITIATIVES - BY SCHEME", "QIPP Tracker for 2010/11 - M12 Performance (£'m)"]
QIPP_GROUP = ["", "", "Milestones: number of", "", "", "", "Annual Plan", "Actual performance (£'m)",
              "", "", "", "", "Best", "Middle", "Worse"]
QIPP_HEADER = ["Workstream / Scheme", "Exec lead", "R", "A", "G", "Milestones", "2010/11", "Due",
               "Delivered", "Variance", "RAG", "F'cast", "Best", "Middle", "Worse"]

# (workstream, lead, schemes, subtotal). Scheme: name, lead, R, A, G, milestone RAG, plan, due,
# delivered, variance, RAG, forecast, best, middle, worse, exactly as printed.
_ = None
QIPP_ROWS = [
    ("CSI Core", "TA", [
        ("Core contract", "", 4, 1, 1, "R", "(1.1)", "(1.0)", "(0.7)", "0.3", "R", "(0.7)", "(0.7)", "(0.7)", "(0.7)"),
        ("Core budget management", "", 0, 0, 2, "G", "(0.3)", "(0.3)", "-", "0.3", "R", "(0.0)", "(0.1)", "(0.0)", "(0.0)"),
        ("BTUH Actions", "", 1, 0, 1, "R", "(0.3)", "(0.3)", "(0.2)", "0.2", "R", "(0.2)", "(0.2)", "(0.2)", "(0.2)"),
        ("Mental Health", "", 0, 0, 3, "G", "(4.2)", "(4.2)", "(1.9)", "2.2", "R", "(1.9)", "(2.4)", "(2.2)", "(1.9)"),
        ("Diagnostics", "", 0, 1, 2, "A", "(1.3)", "(1.3)", "(1.7)", "(0.4)", "G", "(1.7)", "(1.7)", "(1.7)", "(1.7)"),
        ("Other", "", 1, 0, 3, "R", "(1.3)", "(1.3)", "(1.3)", "0.0", "G", "(1.3)", "(1.3)", "(1.3)", "(1.3)"),
    ], (6, 2, 12, "", "(8.6)", "(8.5)", "(5.9)", "2.6", "R", "(5.9)", "(6.4)", "(6.2)", "(5.9)")),
    ("SCG", "TA", [
        ("SCG", "", 2, 0, 0, "R", "(1.5)", "(1.5)", "-", "1.5", "R", "-", "(0.7)", "(0.5)", "-"),
    ], (2, 0, 0, "", "(1.5)", "(1.5)", "-", "1.5", "R", "-", "(0.7)", "(0.5)", "-")),
    ("Planned Care *", "TA", [
        ("Effective use of surgery", "", 0, 1, 2, "A", "(1.5)", "(1.1)", "(0.4)", "0.7", "R", "(0.4)", "(1.5)", "(0.9)", "(0.4)"),
        ("Referral redirection", "", 2, 0, 0, "R", "(0.2)", "(0.2)", "(0.0)", "0.2", "R", "(0.1)", "(0.1)", "(0.1)", "(0.0)"),
        ("Reducing Follow-up attendance", "", 0, 2, 0, "A", "(0.7)", "(0.6)", "(0.2)", "0.3", "R", "(0.4)", "(0.4)", "(0.4)", "(0.3)"),
        ("IVF", "", 0, 0, 1, "G", "(0.5)", "(0.4)", "-", "0.4", "R", "-", "-", "-", "-"),
        ("Daycase to outpatient", "", 0, 6, 0, "A", "(0.7)", "(0.6)", "-", "0.6", "R", "-", "(0.4)", "(0.3)", "-"),
    ], (2, 9, 3, "", "(3.7)", "(2.9)", "(0.7)", "2.2", "R", "(0.9)", "(2.4)", "(1.6)", "(0.7)")),
    ("GP referral gateway", "TA", [
        ("GP referral gateway", "", 0, 1, 5, "A", "(0.8)", "(0.6)", "(0.5)", "0.1", "R", "(0.2)", "(0.7)", "(0.5)", "(0.3)"),
        ("Extended waits", "", 0, 2, 0, "R", "(8.4)", "(5.6)", "(0.6)", "5.0", "R", "(2.0)", "(1.5)", "(1.0)", "(1.0)"),
    ], (0, 3, 5, "", "(9.2)", "(6.2)", "(1.1)", "5.2", "R", "(2.2)", "(2.2)", "(1.5)", "(1.3)")),
    ("Unplanned Care *", "BS", [
        ("Frequent flyers", "", 0, 1, 0, "A", "(0.3)", "(0.2)", "(0.4)", "(0.2)", "G", "(0.4)", "(0.4)", "(0.4)", "(0.4)"),
        ("Nursing home", "", 0, 0, 1, "G", "(0.3)", "(0.2)", "(0.1)", "0.1", "R", "(0.1)", "(0.1)", "(0.1)", "(0.1)"),
        ("Palliative care", "", 1, 0, 0, "R", "-", "-", "(0.0)", "(0.0)", "G", "(0.0)", "(0.0)", "(0.0)", "(0.0)"),
        ("Other", "", 0, 0, 1, "G", "(0.1)", "(0.1)", "(0.0)", "0.1", "R", "(0.0)", "(0.0)", "-", "0.0"),
    ], (1, 1, 2, "", "(0.8)", "(0.6)", "(0.6)", "0.0", "G", "(0.6)", "(0.6)", "(0.5)", "(0.5)")),
    ("Primary Care", "MD", [
        ("Community equipment", "", 0, 0, 1, "G", "(0.5)", "(0.5)", "(0.7)", "(0.2)", "G", "(0.7)", "(0.7)", "(0.7)", "(0.7)"),
        ("GP Contracting", "", 1, 0, 7, "R", "(0.6)", "(0.6)", "(0.6)", "(0.0)", "G", "(0.6)", "(0.6)", "(0.6)", "(0.6)"),
        ("Other non recurrent items", "", 0, 0, 0, "n/a", "(1.1)", "(1.1)", "(1.0)", "0.1", "A", "(1.0)", "(1.0)", "(1.0)", "(1.0)"),
        ("OOH Decommissioning and Service Reviews (non", "", 0, 1, 11, "A", "(1.4)", "(1.4)", "(1.4)", "0.0", "G", "(1.4)", "(1.4)", "(1.4)", "(1.4)"),
        ("Other", "", 0, 0, 0, "n/a", "(0.4)", "(0.4)", "(0.4)", "-", "G", "(0.4)", "(0.4)", "(0.4)", "(0.4)"),
    ], (1, 1, 19, "", "(3.9)", "(3.9)", "(4.0)", "(0.1)", "G", "(4.0)", "(4.0)", "(4.0)", "(4.0)")),
    ("Community Hospitals", "JM", [
        ("Community beds", "", 0, 0, 1, "G", "(0.0)", "(0.0)", "-", "0.0", "R", "-", "-", "-", "-"),
    ], (0, 0, 1, "", "-", "(0.0)", "-", "0.0", "R", "-", "-", "-", "-")),
    ("SWECS", "MD", [
        ("SWECS Surplus", "", 0, 0, 1, "G", "(2.0)", "(2.0)", "(4.3)", "(2.3)", "G", "(4.3)", "(4.4)", "(4.4)", "(4.4)"),
        ("SWECS Decommissioning", "", 0, 0, 3, "G", "(0.7)", "(0.7)", "(0.7)", "-", "G", "(0.7)", "(0.7)", "(0.7)", "(0.7)"),
        ("Community Paeds", "", 0, 0, 0, "n/a", "-", "-", "-", "-", "n/a", "-", "-", "-", "-"),
    ], (0, 0, 4, "", "(2.7)", "(2.7)", "(5.1)", "(2.3)", "G", "(5.1)", "(5.1)", "(5.1)", "(5.1)")),
    ("Medicines Management", "MD", [
        ("Acute prescribing", "", 0, 0, 2, "G", "(0.8)", "(0.6)", "(0.6)", "0.0", "G", "(0.8)", "(0.8)", "(0.8)", "(0.6)"),
        ("GP prescribing", "", 0, 2, 7, "R", "(1.6)", "(1.4)", "(1.8)", "(0.4)", "G", "(1.8)", "(1.9)", "(1.7)", "(1.7)"),
        ("Oxygen", "", 0, 0, 1, "G", "(0.1)", "(0.1)", "(0.0)", "0.1", "R", "(0.0)", "(0.0)", "(0.0)", "(0.0)"),
        ("Other", "", 0, 0, 1, "G", "(0.1)", "(0.1)", "(0.1)", "-", "G", "(0.1)", "(0.1)", "(0.1)", "(0.1)"),
    ], (0, 2, 11, "", "(2.5)", "(2.2)", "(2.5)", "(0.3)", "G", "(2.7)", "(2.8)", "(2.6)", "(2.4)")),
    ("Public Health", "AA", [
        ("Public Health", "", 0, 0, 2, "G", "(0.9)", "(0.9)", "(0.9)", "(0.0)", "G", "(0.9)", "(0.9)", "(0.9)", "(0.9)"),
    ], (0, 0, 2, "", "(0.9)", "(0.9)", "(0.9)", "(0.0)", "G", "(0.9)", "(0.9)", "(0.9)", "(0.9)")),
    ("Workforce", "BS", [
        ("Commissioner", "", 0, 0, 1, "G", "-", "-", "-", "-", "n/a", "-", "-", "-", "-"),
        ("SWECS", "", 0, 0, 1, "G", "-", "-", "-", "-", "n/a", "-", "-", "-", "-"),
        ("Other", "", 0, 0, 1, "G", "(0.4)", "(0.4)", "(0.4)", "-", "G", "(0.4)", "(0.4)", "(0.4)", "(0.4)"),
    ], (0, 0, 3, "", "(0.4)", "(0.4)", "(0.4)", "-", "G", "(0.4)", "(0.4)", "(0.4)", "(0.4)")),
    ("Corporate", "BS", [
        ("Corporate", "BS", 0, 1, 1, "A", "(0.1)", "(0.1)", "(0.1)", "0.00", "G", "(0.1)", "(0.1)", "(0.1)", "(0.1)"),
        ("Estates", "JM", 0, 0, 9, "G", "(0.8)", "(0.8)", "(0.8)", "(0.01)", "G", "(0.9)", "(0.9)", "(0.9)", "(0.9)"),
        ("Other", "AP", 0, 0, 1, "G", "(1.5)", "(1.5)", "(1.5)", "-", "G", "(1.5)", "(1.5)", "(1.5)", "(1.5)"),
    ], (0, 1, 11, "", "(2.5)", "(2.5)", "(2.5)", "(0.01)", "G", "(2.5)", "(2.5)", "(2.5)", "(2.5)")),
    ("Clinical Development, Quality and Innovation", "BS", [
        ("Other", "", 1, 0, 0, "R", "(0.5)", "(0.5)", "-", "0.5", "R", "(1.7)", "-", "-", "-"),
    ], (1, 0, 0, "", "(0.5)", "(0.5)", "-", "0.5", "R", "-", "-", "-", "-")),
]
QIPP_TOTAL = ("TOTAL", "", 13, 19, 73, "", "(37.0)", "(32.8)", "(23.4)", "9.4", "", "(25.1)", "(27.8)", "(25.7)", "(23.6)")
QIPP_YIELD = ("", "", "", "", "", "", "", "YTD yield:", "71%", "", "", "68%", "", "", "")
QIPP_FOOTNOTE = "* = weekly metrics. All other schemes have monthly metrics"

TRANSCRIPTION_NOTES = [
    "Source: South West Essex PCT board, 26 May 2011, QIPP turnaround report, Appendix 1 - 2010/11 "
    "Performance by scheme (tracker dated 11/05/2011), as extracted to text in the seed document.",
    "Extended waits: the extracted text repeats the row above's figures; plan (8.4), due (5.6), "
    "delivered (0.6), forecast (2.0), best (1.5), middle (1.0), worse (1.0) are the GP referral gateway "
    "subtotal less the GP referral gateway scheme, matching the printed variance 5.0 and the £8.4m the "
    "executive summary gives for extended waits.",
    "Daycase to outpatient forecast and Community Paeds delivered are blank or garbled in the extracted "
    "text and are taken as nil (-), which is what the subtotals imply.",
    "Clinical Development, Quality and Innovation / Other: the forecast (1.7) is as printed although the "
    "subtotal and total exclude it; the pipeline reports the difference.",
    "The TOTAL row's first cell carries the footnote in the source; here the footnote is its own row.",
    "Cells printed (0.0) or 0.00 (non-zero but under the rounding) are kept as text; all others are numbers.",
]

ACTIONS_TITLE = ["Harrow Primary Care Trust Action Plan (from PCT Development Needs Self Assessment)",
                 "Appendix B"]
ACTIONS_HEADER = ["Action", "Lead", "Timescale", "Progress/Milestones", "Status"]
LEAD_KEY = [
    ("CE", "Chief Executive"), ("DoF", "Director of Finance"), ("DPC", "Director of Primary Care"),
    ("DPH", "Director of Public Health"), ("DCG&N", "Director of Clinical Governance and Nursing"),
    ("DCM", "Director of Commissioning and Modernisation"), ("HCD", "Head of Corporate Development"),
    ("DSI", "Director of Service Integration"), ("MT", "Management Team"),
]
N = "\n"
# (action, lead, timescale, progress); "" in action marks a further milestone of the action above.
ACTION_ROWS = [
    ("1. Performance Management", "", "", ""),
    ("1.1 Establish Performance Management Group", "DoF", "Sept. 03", "Terms of Reference agreed" + N + "First meeting held Sept 03" + N + "Monthly meetings scheduled" + N + "Reports to PEC & Board"),
    ("1.2 Appoint Performance Manager", "DoF", "Sept. 03", "StHA support 1 day per week from Sept 03" + N + "Appointment on hold pending restructuring of PCT information department" + N + "Secondment opportunity arranged from Nov 03 for a minimum of 6 months. Further recruitment planned."),
    ("1.3 Confirm lead responsibility for each KPI and Balanced Scorecard item", "CE", "Aug. 03", "Achieved and reported to PEC & Board" + N + "Confirmed with StHA"),
    ("1.4 Complete risk assessment and action plans for each KP and BSI", "MT", "Sept. 03", "All Risk Assessments completed. Action Plans for high risk areas and monitoring arrangements agreed"),
    ("1.5 Report to Board, PEC and Management Team", "DoF", "Ongoing", "Performance management on every Board/PEC agenda since July 03" + N + "Style and content being reviewed monthly"),
    ("1.6 Identify outcome measures for primary and community care services", "DPC", "Nov 03" + N + "Jan 04" + N + "Nov 03" + N + "Feb 04", "Agreement reached on the outcome measures for district nursing and health visiting" + N + "Standards for primary care professionals being discussed and implemented locally in line with the new GMS contract" + N + "Identify standards for outcome measures" + N + "Agree outcome measures and develop monitoring framework" + N + "Standards launched and systems developed to enable us to report against them"),
    ("1.7 Undertake benchmarking of services", "DoF", "Nov 03" + N + "Feb 04" + N + "Mar 04", "In place for prescribing – workshop for GPs re: managing the prescribing budget" + N + "Review StHA Acute benchmarking when available" + N + "Develop action plan from benchmarking"),
    ("1.8 Undertake health equity audits", "DPH", "Jun. 04", "Undertake equity audit and begin implementation of action plan within financial year"),
    ("1.9 Work with Harrow Strategic Partnership to develop set of indicators forming part of the Harrow Vitality Profile for 2003", "DPH", "Nov. 03", "Harrow vitality profile published"),
    ("1.10 Develop commissioning strategy to help improve performance of key risk areas for 04/05 (A&E and Financial Balance)", "DCM", "Nov 03", "Establish fortnightly meetings with NWLHT re: health economy's A&E/DTOC performance"),
    ("", "", "Nov 03", "Secure practice-based data from NWLHT re: category C admissions and extend scope of Primary Care meetings with practices to include review of A&E referrals by practice"),
    ("", "", "Dec 03", "Work with MA to assist improvement in management of A&E"),
    ("", "", "Nov 03", "Complete and implement communication strategy with GPs regarding alternatives to Northwick Park A&E, e.g. local MIUs, step up beds, RAU etc."),
    ("", "", "Oct 03", "Implement restrictions on all extra-SLA (\"cost per case\") expenditure across PCT for secondary and tertiary care"),
    ("", "", "Nov 03", "Implement SLA monitoring framework for 10 highest risk SLAs to prevent overperformance costs at year end"),
    ("", "", "Mar. 04", "Overarching Commissioning Strategy completed in line with LDP"),
    ("", "", "Mar 04", "Commissioning strategy for Chronic Disease Management completed"),
    ("", "", "Dec. 03", "Needs assessment in major areas of service"),
    ("", "", "Mar. 04", "(older people and mental health) completed"),
    ("", "", "Mar. 04", "Joint Commissioning strategies for mental health and older people agreed"),
    ("", "", "Jan. 04", "Intermediate Care commissioning strategy complete"),
    ("", "", "Mar 04", "Develop strategy for development of \"Tier 2\" services shifting activity from secondary to primary care."),
    ("", "", "Jun 04", "Develop commissioning strategy to drive modernisation and integration within LIFT developments at Alexandra Avenue and Kenmore sites."),
    ("1.11 Produce new action plan for reducing expenditure in secondary/tertiary care by £1 million", "DCM", "Oct 03", "Repatriate from Brent management of all major SLAs"),
    ("", "", "Nov 03", "Review impact of new cost per case protocol"),
    ("", "", "", "Improve processes for regular SLA activity review"),
    ("", "", "", "Enhance performance reporting for high risk SLAs"),
    ("", "", "", "Train recently recruited commissioning staff within one month of appointment"),
    ("", "", "", "Report on high risk KPIs monthly (to SMT and Board)"),
    ("1.12 Board, PEC and Management Team lead for each 'high risk' PI", "CE", "Oct. 03", "'High Risk' PIs identified. Lead Director for each. PEC and NED lead identified"),
    ("1.13 Develop minimum data set for PCT business", "DoF", "Dec. 03", "Management Team discussion October 03" + N + "Database of returns developed Nov 03" + N + "1 st cut MDS Dec 03"),
    ("1.14 Develop Performance Management culture throughout PCT", "CE & MT", "Dec. 03" + N + "Oct 03" + N + "Jan 04" + N + "May 04" + N + "Oct 03" + N + "Dec 03", "Personal objectives and PDPs agreed for all Managers" + N + "Timely and comprehensive LDPR2 completion" + N + "LDPR 3 completed" + N + "LDPR out-turn" + N + "Report monthly progress with all KPIs and quarterly Balanced Scorecard." + N + "Progress toward KPIs reported in staff briefings and newsletters"),
    ("1.15 Full implementation of performance reviews and PDPs", "DCGN", "Mar.04", "DNs/HVs completed by Dec 03. All Appraisal training underway. New PDP forms distributed."),
    ("1.16 To develop the Commissioning Framework and infrastructure within the PCT to support delivery of performance targets", "DCM", "Dec. 03", "Complete and disseminate profile of commissioned services in order to restrict extra-SLA expenditure"),
    ("", "", "Nov 03", "Agree, complete and disseminate to providers Commissioning Intentions document setting out financial position and performance/ investment priorities for 2004/5"),
    ("", "", "Oct 03", "Complete and implement new strategy for commissioning from the voluntary sector completed to target service provision in priority areas – avoiding A&E, Older People and Mental Health"),
    ("", "", "Nov 03", "Establish regular dialogue with GPs regarding referral practices in order to constrain expenditure, reduce pressure on A&E and increase use of ICPs"),
    ("", "", "Dec 03", "Operational Policy for Joint Commissioning Unit agreed between PCT and local authority"),
    ("", "", "March 04", "Agree delegation of care management and Continuing Care budget management to providers in order to free up Joint Commissioners for strategic commissioning"),
    ("", "", "March 04", "Complete evidence review of homeopathic treatment and implement outcome in order to reduce PCT expenditure from this SLA"),
    ("", "", "Dec 03", "Agree programme of needs assessments to support commissioning decisions agreed within the PCT."),
    ("", "", "Jan 04", "Develop protocol and training programme to support user and carer participation in commissioning processes."),
    ("", "", "Feb 04", "Develop role description and training programme to support clinical staff participation in commissioning processes."),
    ("", "", "Dec 03", "Agree process for commissioning of Harrow PCT – provided services"),
    ("", "", "Dec 03", "Seek and implement legal advice on impact of legally-binding contracts with Foundation Trusts"),
    ("", "", "March 04", "Develop whole system demand and capacity modelling tools where appropriate, e.g. older peoples services."),
    ("", "", "April 04", "Enhance role and workforce redesign skills within modernisation/commissioning function."),
    ("1.17 Prepare for System Reform in Commissioning.", "", "Jan 04" + N + "Dec 03" + N + "March 04" + N + "Nov 03", "Hold training event to improve Board and PEC understanding of System Reform" + N + "Identify skills and process gaps amongst finance, information and commissioning staff to implement system reform e.g. use of HRGs." + N + "Map provision of primary/community based alternatives already existing for patients for major conditions, specialities and procedures." + N + "Roll out Patient Choice in Primary Care pilot to all practices and across specialities"),
    ("2. Single Telephone Access", "", "", ""),
    ("2.1 Risk Assessment", "DPC", "Oct. 03", "Risk assessment completed"),
    ("2.2 Action Plan", "DPC", "Oct. 03" + N + "Oct 03" + N + "Mar 04", "Application submitted to StHA for communication hub/s in North West London" + N + "Agreement reached across North West London on how revenue costs will be shared" + N + "Long-term strategy developed in line with reconfiguration of NHS Direct"),
    ("3. Smoking Cessation", "", "", ""),
    ("3.1 Risk Assessment", "DPC", "Oct 03", "Completed"),
    ("3.2 Action Plan", "DPC", "Oct 03", "Implementation in progress. Complete Mar 04"),
    ("3.3 Review Smoking Cessation Group", "CE", "Oct. 03", "Group reviewed and reconstituted"),
    ("4. Financial Management", "", "", ""),
    ("4.1 Risk Assessment", "DoF", "Aug/Sept 03", "Risk assessments completed August 03 reviewed September 03"),
    ("4.2 Action Plan", "DoF", "Sept. 03", "Action Plan in place"),
    ("4.3 Establish overview group", "CE", "Sept. 03", "Established and meeting monthly"),
    ("4.4 Reform financial management processes behind Continuing Care expenditure", "DCM", "Oct. 03", "Establish Continuing Care Expenditure Review Group"),
    ("", "", "Oct. 03- Mar. 04", "Implement Continuing Care Action Plan."),
    ("5. Board Development", "", "", ""),
    ("5.1 Continue Clinical Governance Board Development programme", "DCG&N", "Ongoing", "C.Gov. Strategic leadership assessment completed. 2 nd phase being developed"),
    ("5.2 Identify training and development needs of Board", "CE", "Dec. 03", "With support of MA identify appropriate provider and commence with needs analysis."),
    ("5.3 Consistent Board development", "CE", "Dec. 03", "As above"),
    ("6. PEC Development", "", "", ""),
    ("6.1 Review PEC membership to include all PODDs", "CE", "Dec 03", "Board and PEC agreement to proposed changes"),
    ("", "", "Mar. 04", "Appointments made"),
    ("6.2 Review PEC ways of working", "CE/PEC Chair", "Ongoing", "Proactive PEC involvement in service and commissioning"),
    ("6.3 Identify training and development needs of PEC", "PEC Chair", "Dec 03" + N + "Mar.04", "Review of training needs" + N + "PDPs in place"),
    ("6.4 Identify mechanisms for engagement of wider primary care community", "PEC", "", "Research most successful mechanism" + N + "Map current practice" + N + "Pilot new ways of engagement"),
    ("6.5 Strengthen PEC role in Clinical Governance", "DCG&N", "Immediate", "Regular papers to PEC – CHIP group to develop CHI Review to include PEC Members."),
    ("6.6 PEC development as strategic commissioning body", "DCM", "Oct. 2003" + N + "Nov 03" + N + "Jan 04" + N + "Jan-Mar 04" + N + "Jan-Mar 04", "PEC workshop" + N + "Establishment of Commissioning Steering Group as a sub-committee of the PEC" + N + "Establishment of Integrated Pathway Steering Group as a sub-committee of PEC" + N + "PEC decisions on priority commissioning/ investment decisions" + N + "PEC clinicians increased involvement in strategic/clinical commissioning discussions"),
    ("7. Management Team Development", "", "", ""),
    ("7.1 Nat Pact Leadership Development programme", "CE", "Ongoing", "Working with Healthskills and M.A."),
    ("7.2 Identify training and development needs of Management Team", "CE", "Ongoing", "As above"),
    ("8. Leadership Development", "", "", ""),
    ("8.1 3 at the centre development", "CE", "Ongoing", "Coaching for 3 at the centre"),
    ("8.2 Monthly managers network – interactive learning opportunity", "HCD", "Nov 03", "Initiate dialogue with managers to review agenda items for managers network"),
    ("8.3 Develop staff involvement", "HCD", "Nov 03" + N + "Jan-Mar 04", "Hold IWL staff roadshows in all PCT sites" + N + "Establish ‘change champions’ workshops to promote involvement across PCT"),
    ("8.4 Develop clinical leadership", "CE", "Ongoing", "Clinical leaders remain involved in strategy developments. New projects initiated"),
    ("8.5 Develop capacity and capability in leadership of improvement science", "CE", "Ongoing", "Share learning from primary care collaborative. Hold PCT workshops on Improvement Science."),
    ("9. Clinical Governance Development", "", "", ""),
    ("9.1 Develop PCT wide education and training strategy with service specific action plans", "DCG&N", "Oct 03", "Board received draft for comment"),
    ("9.2 Develop infrastructure in Primary Care", "DPC", "Nov. 03" + N + "Dec-Feb 04" + N + "April 04 onwards", "Prepare initial paper to be presented to the management team setting out possible ways forward." + N + "Agreement reached on best way forward." + N + "New infrastructure implemented"),
    ("9.3 Ensure GP appraisals take place as planned", "DCG&N", "Oct 03", "Structured programme in place. Action Plan being implemented and reviewed"),
    ("9.4 Undertake CHI dry run assessment", "DCG&N", "Oct. 03", "CHIP group developed"),
    ("9.5 Use quality and outcomes framework in new GMS to drive improvement", "DPC", "Nov 04" + N + "Dec 04" + N + "Dec 04" + N + "April 04 onwards", "Meet with all GMS practices to discuss where practices feel there are re the quality and outcomes framework." + N + "Hold workshop for PMS practices as soon as further information received regarding how they can access the quality & outcomes framework" + N + "Provide practices with the IT software to enable them to monitor current position against framework and develop action plans for improvement" + N + "Monitor each practice against their aspirational targets and identify what support may be required to ensure all practices can reach their full potential" + N + "Work with PMS practices to ensure the alignment of current PMS performance frameworks with the proposed GMS quality & outcomes framework."),
    ("9.6 Develop Medical Director role", "CE", "Dec 03", "Job description approved & appointment process agreed"),
    ("9.7 Develop management system for NICE guidance in PCT", "DCG&N", "Oct. 03", "Guidelines in place to be distributed through PEC and CG committee Oct 03"),
    ("9.8 Develop inclusive PCT wide clinical audit infrastructure, strategy and system with effective feedback loop", "DCG&N", "Mar 04", "Lead role identified - Clinical Audit and R&D co-ordinator – job description approved and appointed." + N + "Established Clinical Audit database" + N + "R&D Clinical Audit Committee receives monthly updates of clinical audit progress" + N + "Systematic review of baseline assessment currently being completed on the existing clinical audit." + N + "Completed systematic approach to 'patient experience' clinical audit in key areas of the Local Health Delivery Plan (LDP)" + N + "Baseline audits in development: pharmacy, opticians and dentistry within Harrow" + N + "Asthma audit project (RAISE) in progress"),
    ("9.9 Develop PCT wide systems and culture of Risk Management", "DCG&N", "Oct 03", "Risk Strategy in place" + N + "Training implemented"),
    ("9.10 Implement reporting system from Datix to Directorates", "DGC&N", "Jan 04", "All reports now going to Risk Cttee and H & Safety Cttee. Directorates are beginning to receive specific reports of their activity."),
    ("9.11 Workforce planning – increase capability", "HCD", "Nov. 03", "Review with Directors to assess staff requirements vs. Directorate priorities"),
    ("9.12 Clarify role and responsibilities of clinical commissioning advisers", "DCM", "Dec 03", "To be agreed by PEC"),
    ("9.13 Develop Cancer Complaints pilot as best practice Clinical Governance", "DCM", "Dec. 03", "Agree protocol for transferring best practice for the management of complaints regarding commissioned services."),
    ("9.14 Develop integrated pathway of care approach to commissioning", "DCM", "Mar. 04", "Continuation of development of PEC as Strategic Commissioning body"),
    ("9.15 Improve patients' perceptions of GP practices", "DPC", "2004/05", "Meet with practice managers to go through both surveys to seek consensus as to which one is more appropriate. Fund a survey in the first year of the contract to encourage practices to participate but also to ensure we receive information to enable us to make improvements in primary care."),
    ("9.16 Roll out and extend Expert Patient Programme", "HCD", "Dec 03", "Understand funding requirement to extend expert patient programme (currently run via Primary Care)"),
    ("9.17 Develop systems and processes to ensure the provision of high quality patient centred primary and community services", "DCG&N", "On-going" + N + "Dec 04" + N + "Jan 04", "Development of modernisation groups within District Nursing & Health Visiting." + N + "Essence of Care Benchmarking being rolled out across the primary and community services." + N + "Development of Practice nurse bank in progress."),
    ("10. Corporate and Organisational Development", "", "", ""),
    ("10.1 Develop Business Planning process for PCT", "HCD", "", "Establish clear process for business planning, involving cross-directorate resources where applicable" + N + "Ensure planning cycle fit with partner bodies (e.g. LB Harrow)"),
    ("10.2 Develop commissioning/investment cycle in line with LDP", "DCM", "Mar. 04", "Informing commissioning and investment for 2004/5 and beyond"),
    ("10.3 Develop explicit strategic direction", "CE", "Mar. 04", "Approved by PCT Board following stakeholder conferences in June and September and Board development."),
    ("10.4 Finance to undertake customer survey to identify needs and then deliver finance training for non-finance managers", "DoF", "Oct. 03", "Draft agreed should be refined and distributed before 31.10"),
    ("10.5 Develop and implement PPI strategy – including protocol for training, support and expenses", "HCD", "On going", "PPI strategy developed" + N + "Develop protocols as objectives for voluntary services manager"),
    ("10.6 Develop strategy to support ICT needs of PCT.", "DoF", "Dec. 03", "Workshop held Aug 03" + N + "Presentation to ICT Steering Group in Oct 03" + N + "Board Dec 03"),
    ("10.7 Audit implementation of PCT policies and guidelines to support performance review and improvement", "HCD", "", "Ensure staff awareness of trust policies and guidance. Roadshow (November) will begin communication process to all PCT staff"),
    ("10.8 Develop competence and expertise of PCT staff to ensure appropriate interpretation of data", "DoF", "", "Identify gaps in competence and expertise Dec 03" + N + "Incorporate in Training plans 04/05"),
    ("10.9 Develop PCT competence in handling media enquiries", "HCD", "On going", "Communications manager assessment re: training needs"),
    ("10.10 Develop HR strategy – including workforce plan", "HCD", "Dec. 03", "HR manager in process of completing HR strategy for review. Ensure consistent with national and regional aspirations and priorities"),
    ("10.11 Ensure full implementation of HR policies", "HCD", "On going", "Identified HR policies developed, in development, to be developed" + N + "Timescale expected to be complete by Jan/Feb"),
    ("10.12 Review function of HR in PCT – operational and strategic", "HCD", "", "Understand NWL approach and review potential to fit HR with IT as shared service approach"),
    ("10.13 System wide approach to improving recruitment and retention and escalating the skills of the workforce", "HCD", "", "Work closely with training and development to ensure PDPs undertaken and development needs are consistent with corporate objectives"),
    ("10.14 Implement plan to deliver IWL", "HCD", "On going", "IWL co-ordinator in place to facilitate evidence/data collection" + N + "Roadshows/Q&A sessions arranged for November to inform staff of IWL and additional mechanisms for staff involvement"),
    ("10.15 Review existing capacity and identify training needs of staff to meet new agendas – eg Choice and Financial Flows", "FD", "On going", "Finance staff awayday linked to new agenda Sept 03" + N + "Action Plan Leads for new projects identified Oct 03 ongoing" + N + "All Finance staff appraisal and CPD" + N + "Applying for good practice award silver October 03" + N + "Customer survey Oct 03" + N + "IIP project"),
    ("10.16 Develop Service Integration programme", "DSI", "Dec 03" + N + "Dec 03" + N + "Dec 03" + N + "Dec 03", "Present to PCT Board and Cabinet Project Framework, Terms of Reference and Timescales for Service Integration Programme." + N + "Agree Project Start Form for Service Integration for Adults and Older People's Services, PCT Board and Harrow Council by December 2003." + N + "Establish Service Status Profiles for the following client groups for Older People, Mental Health, Learning Disability and Physical Disability" + N + "Section 31 Agreement for Pooled Budgets and Lead Commissioning."),
    ("", "", "Feb 04" + N + "Apr 04", "Shared Consultation Health and Social Care for service users/carers and staff on the service benefits and project plan for Service Integration – minimum of 12 weeks." + N + "Implement pooled budgets and lead commissioning for Older People, Mental Health, Learning and Physical Disability."),
    ("10.17 Identify implications of Foundation Trusts", "DCM", "Mar 04", "Respond to consultation from prospective Trusts" + N + "Develop capacity and skills in legally binding SLA arrangements"),
    ("10.18 Systematic PCT wide review of Nat Pact competencies", "HCD", "On going", "Review with Directorates current position relative to competency standards" + N + "Develop action plans with Directorates to bridge each competency gap"),
    ("10.19 Ensure PCT vision, mission and corporate objectives are fully communicated and understood", "HCD", "On going", "Corporate objectives, mission, vision incorporated into information and publicity materials (e.g. annual review 2002/3, annual plan 2003/4)"),
    ("10.20 Structured series of events to improve staff morale", "CE", "Mar 04", "Combination of work and social events. More staff impact to PCT communications"),
    ("10.21 Implement system to ensure coherence of PCT systems, structures and processes", "CE", "Mar 04", "Successful CHI 'dry run'"),
]
ACTIONS_NOTES = [
    "Source: Harrow PCT action plan (from PCT Development Needs Self Assessment), Appendix B, 2003/04, "
    "as extracted to text in the seed document. No status column exists in the source; it is left blank.",
    "4.1 and 5.1: the extracted text puts their lead, timescale and progress on the section line; they "
    "are placed on the action row. Cells with several paragraphs keep one paragraph per line.",
    "Actions 1.11 (four milestones), 6.4, 10.1, 10.7, 10.8, 10.12 and 10.13 have no timescale and 1.17 no "
    "lead in the source; they are kept as printed (the pipeline quarantines them with the reason).",
]


AMOUNT_COLUMNS = {7, 8, 9, 10, 12, 13, 14, 15}  # 1-based: plan .. variance, forecast .. worse


def _amount(text: str):
    """A printed amount as the workbook cell holds it: numbers as numbers, '-' and (0.0)-style as text."""
    if text in ("", "-") or text.strip("()").replace("0", "").replace(".", "") == "":
        return text  # nil, or non-zero below the rounding: the value itself is not known
    negative = text.startswith("(")
    value = float(text.strip("()"))
    return -value if negative else value


def qipp_table() -> list[list]:
    """The tracker sheet as rows of printed cells (strings and integers), title block included."""
    rows = [[QIPP_TITLE[0]] + [""] * 13 + ["11/05/2011"], [QIPP_TITLE[1]] + [""] * 14, QIPP_GROUP, QIPP_HEADER]
    for workstream, lead, schemes, subtotal in QIPP_ROWS:
        rows.append([workstream, lead] + [""] * 13)
        rows += [list(s) for s in schemes]
        rows.append(["", ""] + list(subtotal))
    rows += [list(QIPP_TOTAL), list(QIPP_YIELD), [QIPP_FOOTNOTE] + [""] * 14]
    return rows


def actions_table() -> list[list]:
    return [[ACTIONS_TITLE[0], "", "", "", ""], [ACTIONS_TITLE[1], "", "", "", ""], ACTIONS_HEADER] + [
        list(r) + [""] for r in ACTION_ROWS]


def _xlsx(path: Path, sheets: dict[str, list[list]], *, amounts: bool) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value in ("", None):
                    continue
                if amounts and r > 4 and c in AMOUNT_COLUMNS and isinstance(value, str) and "%" not in value and ":" not in value:
                    value = _amount(value)
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, float):
                    cell.number_format = '#,##0.0_);(#,##0.0);"-"_)'
                if isinstance(value, str) and "\n" in value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in ws[1]:
            cell.font = Font(bold=True)
    wb.properties.creator = "NHS Analytics"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    _stable_zip(buffer.getvalue(), path)
    return path


def _stable_zip(data: bytes, path: Path) -> None:
    """Rewrite the workbook's ZIP with fixed member times, so regenerating changes no byte."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2011-05-11T00:00:00Z", body)
            dst.writestr(fixed, body)
    path.write_bytes(out.getvalue())


def _csv(path: Path, rows: list[list]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def notes_rows(notes: list[str]) -> list[list]:
    return [["Transcription notes"]] + [[n] for n in notes]


def generate(out_root: Path, formats: tuple[str, ...] = ("xlsx", "csv")) -> list[Path]:
    """Write the transcribed tracker and action plan under ``out_root/<source>/``.

    The pipeline's samples: the QIPP tracker as an XLSX workbook, the action plan as CSV (both
    formats are read the same way; ``formats`` writes both for each when asked).
    """
    out_root = Path(out_root)
    written = []
    if "xlsx" in formats:
        written.append(_xlsx(out_root / QIPP_FOLDER / f"{QIPP_STEM}.xlsx",
                             {"By scheme": qipp_table(), "Notes": notes_rows(TRANSCRIPTION_NOTES)}, amounts=True))
    if "csv" in formats:
        written.append(_csv(out_root / ACTIONS_FOLDER / f"{ACTIONS_STEM}.csv", actions_table()))
    if "all" in formats:
        written.append(_csv(out_root / QIPP_FOLDER / f"{QIPP_STEM}.csv", qipp_table()))
        written.append(_xlsx(out_root / ACTIONS_FOLDER / f"{ACTIONS_STEM}.xlsx",
                             {"Action plan": actions_table(), "Key to leads": [["Lead", "Title"]] + [list(k) for k in LEAD_KEY],
                              "Notes": notes_rows(ACTIONS_NOTES)}, amounts=False))
    return written


if __name__ == "__main__":  # pragma: no cover
    import sys

    for p in generate(Path(sys.argv[1] if len(sys.argv) > 1 else "data/raw")):
        print(p)
