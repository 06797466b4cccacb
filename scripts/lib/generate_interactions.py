"""Synthetic interactions for the benchmarks and the chaos run: N lines of the seed's log format
in two-turn sessions of 10,000 users (90 % with training consent), ratings cycling 1-5.

usage: python3 scripts/lib/generate_interactions.py N OUT.jsonl
"""
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
topics = ["motivation", "studieteknik", "stress", "målsättning", "AI i undervisningen", "feedback", "sömn", "prokrastinering"]
with open(path, "w") as f:
    for i in range(n):
        s, turn, user = i // 2, i % 2, (i // 2) % 10000
        topic = topics[s % len(topics)]
        line = {
            "timestamp": f"2025-{1 + s % 12:02d}-{1 + s % 28:02d}T{8 + turn:02d}:{s % 60:02d}:00Z",
            "session_id": f"bench-{s}", "turn_index": turn, "user_id": f"u{user}",
            "mode": "university" if s % 3 == 0 else "personal", "language": "sv" if s % 2 else "en",
            "user_input": f"Fråga {i} om {topic}: hur kommer jag vidare när det känns tungt den här veckan?",
            "ai_response": f"Svar {i}: börja med ett litet steg inom {topic} i dag, skriv ner vad som hindrar dig och följ upp på fredag.",
            "feedback": {"rating": 1 + (i * 7) % 5, "helpful": i % 3 != 0},
            "consent": {"training": user % 10 != 0},
        }
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
