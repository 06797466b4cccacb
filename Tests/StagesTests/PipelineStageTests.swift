import Foundation
import Pipeline
import Stages
import Testing
import Tokenizers

/// The pure functions the worker handlers run between loading a batch and completing it.
@Suite struct PipelineStageTests {
    // MARK: - interactions

    @Test func interactionStageGivesAVerdictAndRedactedCountedTexts() throws {
        let stage = InteractionStage(filter: QualityFilter(), text: TextPreparation(encoding: try Fixtures.cl100k.get()))
        let input = InteractionStage.Input(
            interactionID: 7,
            quality: QualityFilter.Input(
                userInput: "Ring mig på 070-123 45 67 om planeringen.",
                aiResponse: "Självklart, vi kan gå igenom veckan tillsammans.", rating: 4),
            opening: "Hej! Mejla anna@example.com om du vill.", hasCurrentTexts: false)
        guard case .prepared(let verdict, let texts?) = stage.run(input) else {
            Issue.record("expected a verdict and texts")
            return
        }
        #expect(verdict.interaction_id == 7 && verdict.accepted && verdict.reasons.isEmpty && verdict.rating == 4)
        #expect(texts.user_input == "Ring mig på <PHONE> om planeringen.")
        #expect(texts.opening == "Hej! Mejla <EMAIL> om du vill.")
        #expect(texts.entity_counts == ["PHONE": 1, "EMAIL": 1])
        #expect(texts.entities == 2)
        #expect(texts.user_input_tokens == (try Fixtures.cl100k.get()).count(texts.user_input))
    }

    @Test func interactionStageSkipsTextsOfTheCurrentVersionAndStillJudges() throws {
        let stage = InteractionStage(filter: QualityFilter(), text: TextPreparation(encoding: try Fixtures.cl100k.get()))
        let input = InteractionStage.Input(
            interactionID: 8, quality: QualityFilter.Input(userInput: "kort", aiResponse: "kort", rating: nil),
            hasCurrentTexts: true)
        guard case .prepared(let verdict, nil) = stage.run(input) else {
            Issue.record("expected a verdict without texts")
            return
        }
        #expect(!verdict.accepted)
        #expect(Set(verdict.reasons) == ["no_feedback_yet", "user_input_too_short", "ai_response_too_short"])
    }

    // MARK: - conversations

    func conversationStage() throws -> ConversationStage {
        ConversationStage(builder: ExampleBuilder(), counter: ChatTokenCounter(encoding: try Fixtures.cl100k.get()))
    }

    func turn(_ id: Int64, _ index: Int?, answer: String, rating: Int? = 4, opening: String? = nil, at time: Int64? = nil)
        -> ConversationStage.Turn
    {
        ConversationStage.Turn(
            turn: ConversationTurn(
                interactionID: id, turnIndex: index ?? 0, occurredAt: time ?? id * 1_000_000, userInput: "fråga \(id)",
                aiResponse: answer, accepted: true, rating: rating, helpful: true, opening: opening),
            hasTurnIndex: index != nil, mode: .personal, language: "sv")
    }

    @Test func conversationStageBuildsRowsWithTheGreetingAsUntrainedContext() throws {
        let stage = try conversationStage()
        let rows = stage.run(id: 5, turns: [
            turn(2, 1, answer: "svar två"), turn(1, 0, answer: "svar ett", opening: "Hej! Vad vill du prata om?"),
        ])
        let example = try #require(rows.example)
        #expect(example.messages.map(\.role) == [.system, .assistant, .user, .assistant, .user, .assistant])
        #expect(example.messages[1] == ChatMessage(role: .assistant, content: "Hej! Vad vill du prata om?", weight: 0))
        #expect(example.turns == 2, "the greeting is not a turn")
        #expect(example.trained_turns == 2)
        #expect(rows.build.interactions == 2)
        #expect(rows.build.first_at == 1_000_000 && rows.build.last_at == 2_000_000)
        #expect(rows.build.input_hash == stage.fingerprint(rows.build.interactions == 2 ? [
            turn(1, 0, answer: "svar ett", opening: "Hej! Vad vill du prata om?"), turn(2, 1, answer: "svar två"),
        ] : []), "the fingerprint does not depend on the order the turns were loaded in")
        #expect(rows.feedback.count == 2, "one KTO example per single rated answer with helpful set")
    }

    @Test func conversationFingerprintChangesWithAnyInput() throws {
        let stage = try conversationStage()
        let base = [turn(1, 0, answer: "a"), turn(2, 1, answer: "b")]
        let fingerprint = stage.fingerprint(base)
        #expect(stage.fingerprint(base.reversed()) == fingerprint)
        #expect(stage.fingerprint([turn(1, 0, answer: "a"), turn(2, 1, answer: "b", rating: 5)]) != fingerprint)
        #expect(stage.fingerprint([turn(1, 0, answer: "a", opening: "Hej"), turn(2, 1, answer: "b")]) != fingerprint)
        #expect(stage.fingerprint([turn(1, 0, answer: "a")]) != fingerprint)
    }

    /// The counts the interaction stage stored for a turn's texts stand in for counting them again
    /// (and the system prompts are counted once per stage): the rows are those of a count from
    /// scratch, and each example's tokens are the counter's own over its messages.
    @Test func storedTokenCountsGiveTheRowsOfACountFromScratch() throws {
        let stage = try conversationStage()
        let encoding = try Fixtures.cl100k.get()
        let plain = [turn(1, 0, answer: "Börja med ett litet steg i dag."), turn(2, 1, answer: "Skriv ner vad som hindrar dig.", rating: 2)]
        let stored = plain.map { item in
            var item = item
            item.storedTokens = ConversationStage.StoredTokens(
                userInput: encoding.count(item.turn.userInput), aiResponse: encoding.count(item.turn.aiResponse))
            return item
        }
        let fromScratch = stage.run(id: 3, turns: plain)
        #expect(stage.run(id: 3, turns: stored) == fromScratch)
        let example = try #require(fromScratch.example)
        let counted = example.messages.map { ChatTokenCounter.Message(role: $0.role.rawValue, content: $0.content) }
        #expect(example.tokens == ChatTokenCounter(encoding: encoding).count(counted))
        #expect(!fromScratch.feedback.isEmpty, "KTO rows too, compared above")
    }

    /// The rebuild's loader gives a turn the redaction found nothing in its stored texts as its
    /// original (they are the same): people are still numbered across the other turns, and a
    /// conversation with nothing to number has the rows of a stage that never redacts again.
    /// A name the stored text still holds (an earlier build's lexicon missed it) is redacted by
    /// the conversation's pass.
    @Test func peopleAreNumberedAcrossTurnsWhenSomeTurnsAreClean() throws {
        let preparation = TextPreparation(encoding: try Fixtures.cl100k.get())
        let stage = ConversationStage(builder: ExampleBuilder(), counter: ChatTokenCounter(encoding: try Fixtures.cl100k.get()), text: preparation)
        func turns(_ written: [(String, String)]) throws -> [ConversationStage.Turn] {
            try written.enumerated().map { k, texts in
                // What the interaction stage stores: each exchange numbered on its own.
                let stored = try preparation.prepare(userInput: texts.0, aiResponse: texts.1)
                var item = turn(Int64(k + 1), k, answer: stored.aiResponse)
                item.turn.userInput = stored.userInput
                let clean = stored.entityCounts.isEmpty
                item.original = ConversationStage.Original(
                    userInput: clean ? stored.userInput : texts.0, aiResponse: clean ? stored.aiResponse : texts.1, opening: nil)
                return item
            }
        }
        let named = try turns([
            ("Min kollega Anna Lindqvist och Jonas Berg bråkar om projektet.", "Prata med dem var för sig först."),
            ("Det blev lite bättre i dag på jobbet.", "Vad fint att höra, fortsätt så."),
            ("Jonas ringde igen i morse om projektet.", "Säg till Jonas vad du behöver av honom."),
        ])
        #expect(named[1].original?.userInput == named[1].turn.userInput, "the clean turn's original is its stored text")
        #expect(named[2].turn.userInput == "<PERSON_1> ringde igen i morse om projektet.", "numbered on its own, Jonas is the first")
        let users = try #require(stage.run(id: 4, turns: named).example).messages.filter { $0.role == .user }.map(\.content)
        #expect(users == [
            "Min kollega <PERSON_1> och <PERSON_2> bråkar om projektet.", "Det blev lite bättre i dag på jobbet.",
            "<PERSON_2> ringde igen i morse om projektet.",
        ])

        let clean = try turns([("Hur planerar jag veckan bäst?", "Börja med ett litet steg i dag."), ("Och sedan?", "Följ upp på fredag.")])
        let withoutPass = ConversationStage(builder: ExampleBuilder(), counter: ChatTokenCounter(encoding: try Fixtures.cl100k.get()))
        #expect(stage.run(id: 6, turns: clean) == withoutPass.run(id: 6, turns: clean))

        // Stored as it was written (entities 0 when it was stored), yet the current rules find a name.
        var missed = try turns([("Hur planerar jag veckan bäst?", "Börja med ett litet steg i dag.")])
        missed[0].turn.userInput = "Min kollega Jonas Berg stör mig."
        missed[0].original = ConversationStage.Original(userInput: missed[0].turn.userInput, aiResponse: missed[0].turn.aiResponse, opening: nil)
        let redacted = try #require(stage.run(id: 7, turns: missed).example).messages.filter { $0.role == .user }.map(\.content)
        #expect(redacted == ["Min kollega <PERSON_1> stör mig."])
    }

    @Test func turnsWithoutIndexesAreOrderedByTime() throws {
        let rows = try conversationStage().run(id: 1, turns: [
            turn(1, nil, answer: "senare", at: 20), turn(2, nil, answer: "tidigare", at: 10),
        ])
        let answers = try #require(rows.example).messages.filter { $0.role == .assistant }.map(\.content)
        #expect(answers == ["tidigare", "senare"], "each interaction its own turn, in time order")
    }

    @Test func aConversationWithoutUsableTurnsHasOnlyItsBuildRow() throws {
        let rows = try conversationStage().run(id: 9, turns: [])
        #expect(rows.example == nil && rows.pairs.isEmpty && rows.feedback.isEmpty)
        #expect(rows.build.interactions == 0 && rows.build.mode == nil)
    }

    // MARK: - documents

    @Test func documentChunkerRedactsEachChunkAndKeepsOffsetsInTheOriginal() throws {
        let chunker = DocumentChunker(splitter: try RecursiveCharacterSplitter(chunkSize: 40, chunkOverlap: 0))
        let body = "Åsa skriver: ring 070-123 45 67.\n\nAndra stycket om sömn och vila."
        let chunks = chunker.chunks(of: body)
        #expect(chunks.count == 2)
        #expect(chunks[0].text == "<PERSON_1> skriver: ring <PHONE>.")
        #expect(chunks[0].start == 0)
        let second = body.unicodeScalars.index(body.unicodeScalars.startIndex, offsetBy: Int(chunks[1].start))
        #expect(String(body.unicodeScalars[second...]).hasPrefix("Andra stycket"), "offset in Unicode scalars of the original")
        #expect(chunker.chunks(of: "").isEmpty)
    }

    // MARK: - exports of a greeting

    @Test func llamaFactoryFormatsPutTheGreetingIntoTheSystemText() throws {
        let record = DatasetRecord.conversation(messages: [
            ChatMessage(role: .system, content: "S"), ChatMessage(role: .assistant, content: "Hej!", weight: 0),
            ChatMessage(role: .user, content: "U"), ChatMessage(role: .assistant, content: "A", weight: 1),
        ])
        func line(_ format: DatasetFormat) throws -> [String: Any] {
            let expanded = record.records(for: format)
            #expect(expanded.count == 1, "one trained answer")
            var json = JSONWriter()
            expanded[0].write(as: format, into: &json)
            return try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        }
        let sharegpt = try line(.sharegpt)
        #expect(sharegpt["system"] as? String == "S\n\nHej!")
        #expect((sharegpt["conversations"] as? [[String: String]])?.map { $0["from"]! } == ["human", "gpt"])
        let alpaca = try line(.alpaca)
        #expect(alpaca["system"] as? String == "S\n\nHej!")
        #expect(alpaca["instruction"] as? String == "U" && (alpaca["history"] as? [Any])?.isEmpty == true)
        let sft = try line(.trlSFT)
        #expect((sft["prompt"] as? [[String: Any]])?.map { $0["role"] as! String } == ["system", "assistant", "user"])
    }
}
