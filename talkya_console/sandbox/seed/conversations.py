"""What the demo clinic says: receptionist call scripts by intent and outcome (English and
Spanish), staff chatter by channel. Shared by the seed (history) and the simulator (live)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from talkya_console.wire.receptionist import TranscriptSegment

CLINIC_TZ = ZoneInfo("America/New_York")
CALLER_NAMES = "Ashley Brianna Carlos Dominique Erin Fernanda Gianna Heather Isabel Jasmine Kayla Luis Monica".split()

# Each section is a script: an intent's opening, an outcome's close (`done:` prefix, `es:` for the
# Spanish ones) or fillers. A call is its intent's lines, some fillers, then its outcome's close.
_SCRIPTS = """
== new_consult
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C Hi, I saw your ad and I'm interested in Botox for my forehead lines. I've never had it before.
A Wonderful, a first-time consult is the best place to start. May I have your first name?
C It's {first}.
A Thanks, {first}. Our injectors start with a 30-minute consult to talk through goals and dosing.
C How much does the consult cost?
A The consult is complimentary, and it's credited toward your first treatment.
== glp1_refill
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C Hi, I'm on the semaglutide program and I'm almost out. I need my refill.
A I can help with that. Can you confirm your date of birth for me?
C Sure, it's the one on file. {first}.
A Thank you, {first}, I found your chart. Your last check-in was about four weeks ago.
C Yes, and I've lost another six pounds. No side effects except a little nausea the first days.
A Good to hear. Refills need a quick review with Dr. Cho before the pharmacy can send them.
== reschedule
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C I need to move my appointment this week, something came up at work.
A No problem. Can I have your name so I can find the booking?
C {first}.
A I see your filler touch-up on {day} at {time}. When would work better?
C Anything early next week, ideally late afternoon.
== billing_question
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C I got charged twice for my membership this month and I want to know why.
A I'm sorry about that. May I have your name?
C {first}.
A Thanks, {first}. I can see the membership on your account, but I can't issue refunds myself.
C Okay, who can?
== price_shopping
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C How much is lip filler? I'm calling a few places.
A Lip filler starts at 650 dollars per syringe, and most first treatments use one.
C The place down the street is 499.
A Our injectors are nurse practitioners and physicians, and we use Juvederm and Restylane.
C Do you have any specials right now?
A This month new patients get a complimentary consult and 10 percent off a first syringe.
== after_hours
A Thanks for calling TrueBliss Med Spa. We're closed right now, but I can still help.
C Oh, I thought you'd be open. I wanted to ask about laser hair removal.
A Happy to help. We offer laser hair removal at both locations. Which area are you interested in?
C Underarms and legs. Can I get in soon?
A We usually have openings within a week. Can I get your first name?
C {first}.
== escalation
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C I had a treatment two days ago and my cheek is really swollen and it hurts.
A I'm sorry you're dealing with that. Are you having trouble breathing or any vision changes?
C No, nothing like that, it's just swollen and warm.
A Thank you. I'm going to connect you with our clinical team right now.
S Hi {first}, this is the nurse on call. Can you tell me which treatment you had?
C Filler in my cheeks on {day}.
== spanish_speaker
A Gracias por llamar a TrueBliss Med Spa, habla Talkya. ¿En qué le puedo ayudar?
C Hola, quería información sobre el tratamiento para bajar de peso.
A Con gusto. Tenemos un programa médico de control de peso con consulta con la doctora.
C ¿Cuánto cuesta la primera consulta?
A La primera consulta es gratuita. ¿Me puede dar su nombre?
C Me llamo {first}.
A Gracias, {first}. ¿Prefiere venir a Brickell o a Coral Gables?
C A Coral Gables, por favor.
== done:appointment_booked
A I have {day} at {time} available. Would that work?
C Yes, that works.
A You're booked for {day} at {time}. You'll get a text confirmation with intake forms.
C Perfect, thank you so much.
== done:lead_created
C I need to check my schedule first. Can someone call me back?
A Of course. I've noted your interest and a care coordinator will reach out tomorrow.
C Great, thanks.
== done:handoff
A I'm creating a request for our team so the right person follows up today.
C Okay, please make sure someone calls me.
A They will. You'll hear from us before the end of the day.
== done:info_provided
C Okay, that's all I needed to know.
A Happy to help. Is there anything else I can do for you?
C No, that's it. Thanks.
== done:voicemail
C Can I just leave a message for the front desk?
A Of course, go ahead and I'll make sure they get it first thing in the morning.
C Please call me back tomorrow about booking. Thanks.
== es:appointment_booked
A Tengo disponible el {day} a las {time}. ¿Le funciona?
C Sí, perfecto.
A Listo, queda agendada. Le enviaremos un mensaje de confirmación.
C Muchas gracias.
== es:lead_created
C Déjeme revisar mi horario. ¿Me pueden llamar?
A Claro que sí. Una coordinadora bilingüe le llamará mañana.
C Gracias.
== fillers
A Is this the best number to reach you?
C Yes, this is my cell.
A Would you like reminders by text?
C Text is great.
A Have you visited us before?
C A while ago, at the Brickell location.
A Do you have any allergies we should note?
C Not that I know of.
"""
DIAS = "lunes martes miércoles jueves viernes sábado domingo".split()
_SPEAKERS = {"A": "ai_receptionist", "C": "caller", "S": "staff"}


def _parse(text: str) -> dict[str, list[tuple[str, str]]]:
    scripts: dict[str, list[tuple[str, str]]] = {}
    for section in text.split("== ")[1:]:
        name, *lines = section.strip().splitlines()
        scripts[name] = [(_SPEAKERS[line[0]], line[2:]) for line in lines]
    return scripts


SCRIPTS = _parse(_SCRIPTS)
# intent: (calls per hundred, "outcome:weight ...")
MIX = {
    "new_consult": (24, "appointment_booked:6 lead_created:3 info_provided:1"),
    "glp1_refill": (16, "handoff:5 appointment_booked:4 info_provided:1"),
    "reschedule": (14, "appointment_booked:8 handoff:2"),
    "billing_question": (10, "handoff:6 info_provided:4"),
    "price_shopping": (12, "lead_created:5 info_provided:5"),
    "after_hours": (10, "voicemail:4 lead_created:3 appointment_booked:3"),
    "escalation": (5, "handoff:1"),
    "spanish_speaker": (9, "appointment_booked:6 lead_created:4"),
}
NEXT_STEPS = {
    "appointment_booked": ["Send confirmation text with intake forms"],
    "lead_created": ["Care coordinator to call back within one business day"],
    "handoff": ["Staff to follow up today", "Review the handoff task"],
    "info_provided": [],
    "voicemail": ["Return the call during business hours"],
}
SOURCES = [("phone", None), ("google_ads", "botox_fall_2026"), ("google_ads", "glp1_search"), ("website", None)]
SOURCES += [("instagram", "filler_reels_nov"), ("referral", None)]
# Staff chatter per channel, one message a line.
CHATTER = {
    "front-desk": """Running about 10 minutes behind at Brickell, can someone text the 2:30?
Coral Gables is out of intake clipboards, bringing some over at lunch.
Reminder: the laser room is blocked tomorrow morning for maintenance.
Who has the 4pm walk-in? They're asking about membership pricing.
Phones are quiet, I'm catching up on confirmations.""".splitlines(),
    "providers": """Can someone review the refill queue before 3? A few are waiting on labs.
Filler supplies restocked in room 2.
Heads up, I'm running late from the hospital, starting at 10:15.
New post-treatment instructions for PDO threads are in the shared drive.""".splitlines(),
    "billing": """Membership charges ran this morning, two declines to follow up.
Posted yesterday's deposits.
Insurance won't cover the weight management labs for plan B members, flag at booking.""".splitlines(),
    "marketing-team": """The fall Botox campaign is driving most of the new consult calls this week.
Instagram reels for filler went live Monday.
Can we get before-and-after photo consent added to the intake packet?
Weekly call report: conversion from AI receptionist bookings is up.""".splitlines(),
}


def spoken_time(at: datetime) -> str:
    """`2:30 PM`, `10 AM`: a time as the receptionist says it."""
    hour = at.hour % 12 or 12
    return f"{hour}{f':{at.minute:02d}' if at.minute else ''} {'PM' if at.hour >= 12 else 'AM'}"


def booking_slot(rng: random.Random, after: datetime) -> datetime:
    """A bookable slot 1-7 days on, between 10:00 and 16:00 Miami time."""
    day = (after + timedelta(days=rng.randint(1, 7))).replace(minute=0, second=0, microsecond=0)
    return day.replace(hour=rng.randint(15, 21), minute=rng.choice([0, 30]))


def script_segments(rng: random.Random, intent: str, outcome: str, fill: dict[str, str]) -> list[TranscriptSegment]:
    close = SCRIPTS[f"es:{outcome}" if intent == "spanish_speaker" else f"done:{outcome}"]
    lines = list(SCRIPTS[intent])
    target = rng.randint(8, 20) - len(close)
    fillers = SCRIPTS["fillers"]
    pairs = rng.sample(range(0, len(fillers), 2), len(fillers) // 2)
    while pairs and len(lines) + 2 <= target and intent != "spanish_speaker":  # the fillers are English
        at = pairs.pop()
        lines.extend(fillers[at : at + 2])
    segments, clock = [], 0
    for index, (speaker, text) in enumerate([*lines, *close][:20]):
        spoken = text.format(**fill)
        length = 900 + 55 * len(spoken) + rng.randrange(0, 600)
        segments.append(
            TranscriptSegment(index=index, speaker=speaker, text=spoken, start_ms=clock, end_ms=clock + length)
        )
        clock += length + rng.randrange(200, 900)
    return segments


def pick_call(rng: random.Random) -> tuple[str, str]:
    """An intent by how often the clinic hears it, and an outcome by how such calls end."""
    intent = rng.choices(list(MIX), [weight for weight, _ in MIX.values()])[0]
    choices = [pair.split(":") for pair in MIX[intent][1].split()]
    outcome = rng.choices([c[0] for c in choices], [int(c[1]) for c in choices])[0]
    return intent, outcome
