"""Word lists for believable, made-up people, departments and courses (Latin script, the
mix of names a UK trust's staff list has)."""

# fmt: off
FIRST_NAMES = (
    "Amara", "Tom", "Grace", "Zoë", "Siân", "Liam", "Priya", "Noah", "Mia", "Isla",
    "Oliver", "Amelia", "Mohammed", "Olivia", "Jack", "Ava", "Harry", "Emily", "George",
    "Sophie", "Chidi", "Ngozi", "Aleksander", "Agnieszka", "Łukasz", "Zofia", "Rhys",
    "Ffion", "Gethin", "Eleri", "Aoife", "Ciarán", "Niamh", "Seán", "Rahul", "Anjali",
    "Imran", "Fatima", "Yusuf", "Aisha", "Kwame", "Abena", "Tendai", "Chipo", "João",
    "Inês", "Mateus", "Beatriz", "Andrés", "Lucía", "François", "Chloé", "Jürgen",
    "Anneliese", "Dvořák", "Tereza", "Mihai", "Ioana", "Giulia", "Marco", "Hannah",
    "Daniel", "Rebecca", "Samuel", "Leah", "Joseph", "Ruth", "Ewan", "Morag", "Callum",
)

LAST_NAMES = (
    "Okafor", "Hughes", "Mensah", "Ashworth", "ap Gwyn", "O'Neill", "Shah", "Bennett",
    "Clarke", "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Roberts", "Johnson", "Lewis", "Walker", "Patel", "Khan", "Begum", "Ali",
    "Hussain", "Nowak", "Kowalski", "Wiśniewska", "Łukasz-O'Néill", "Murphy", "Kelly",
    "Byrne", "Ó Briain", "Adeyemi", "Okonkwo", "Boateng", "Asante", "Moyo", "Silva",
    "Santos", "Pereira", "García", "Martínez", "Dubois", "Lefèvre", "Müller", "Schröder",
    "Novák", "Dvořáková", "Popescu", "Ionescu", "Rossi", "Bianchi", "Campbell", "MacLeod",
    "Stewart", "Robertson", "Wright", "Green", "Hall", "Wood", "Harris", "Martin", "Cooper",
)

JOB_TITLES = (
    "Staff Nurse", "Ward Manager", "Matron", "Healthcare Assistant", "Physiotherapist",
    "Occupational Therapist", "Pharmacist", "Radiographer", "Biomedical Scientist",
    "Consultant", "Specialty Doctor", "Midwife", "Service Manager", "Operational Manager",
    "Project Support Officer", "Business Analyst", "Finance Manager", "HR Advisor",
    "Estates Officer", "Digital Services Lead", "Quality Improvement Lead", "Administrator",
    "Medical Secretary", "Clinical Nurse Specialist", "Advanced Practitioner",
)

SERVICE_GROUPS = (
    "Surgical Services", "Medicine", "Women and Children", "Clinical Support",
    "Community Services", "Mental Health", "Corporate", "Improvement",
)

SPECIALTIES = (
    "Cardiology", "Respiratory", "Gastroenterology", "Orthopaedics", "General Surgery",
    "Urology", "Paediatrics", "Maternity", "Neonatal", "Radiology", "Pathology", "Pharmacy",
    "Therapies", "Emergency Department", "Critical Care", "Theatres", "Oncology",
    "Haematology", "Dermatology", "Ophthalmology", "Stroke", "Elderly Care", "Diabetes",
    "District Nursing", "Finance", "Estates", "Digital Services", "Workforce", "Quality",
    "Procurement", "Patient Experience", "Research", "Education", "Outpatients",
)

UNITS = ("Ward", "Clinic", "Service", "Team", "Unit", "Department", "Hub", "Office")

COURSE_TOPICS = (
    "Project management", "Programme management", "Risk management", "Benefits realisation",
    "Stakeholder engagement", "Business case writing", "Quality improvement",
    "Change management", "Lean for healthcare", "Agile delivery", "Project assurance",
    "Senior Responsible Owner", "Co-production with lived experience", "Project design",
    "Planning and scheduling", "Budgeting for projects", "Data for improvement",
    "Process mapping", "Leading project teams", "Procurement for projects",
    "Digital transformation", "Evaluation and impact", "Project board governance",
    "Facilitation skills", "Measurement for improvement",
)

COURSE_LEVELS = (
    "foundations", "practitioner", "advanced", "masterclass", "refresher", "workshop",
    "for occasional project managers", "for clinical leaders", "essentials", "in practice",
)

CATEGORIES = ("Training programme", "Workshop", "Coaching", "E-learning", "Masterclass")

SESSION_TITLES = (
    "Starting a project", "Planning", "Risks and issues", "Stakeholders",
    "Delivery and reporting", "Closing a project", "Benefits", "Governance",
)

ACCREDITATION_BODIES = (
    "The CPD Certification Service", "Association for Project Management", "CPD Standards Office",
)
# fmt: on
