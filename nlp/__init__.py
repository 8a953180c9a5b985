"""Text in, analysis out: language, places, topics, stance, claims, distortion; no database."""
