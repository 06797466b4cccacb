import CoachSpoolCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Blocking JSON POSTs to OpenAI-compatible endpoints (embeddings, chat), with retries.
enum HTTP {
    struct RetryPolicy: Sendable {
        var timeoutSeconds: Double
        var maxAttempts: Int
        var baseSeconds: Double
        var maxSeconds: Double

        /// Exponential backoff with ±50 % jitter, or the server's own delay when it gave one.
        func delay(afterAttempt attempt: Int, serverDelay: Double?) -> Double {
            if let serverDelay { return min(max(serverDelay, 0), maxSeconds) }
            return min(baseSeconds * pow(2, Double(attempt - 1)), maxSeconds) * Double.random(in: 0.5...1.5)
        }
    }

    private final class Outcome: @unchecked Sendable {  // written once before the semaphore signals
        var data: Data?
        var response: HTTPURLResponse?
        var error: Error?
    }

    static func postWithRetries(url: URL, body: Data, apiKey: String?, policy: RetryPolicy) throws -> Data {
        var attempt = 0
        while true {
            attempt += 1
            var serverDelay: Double?
            let failure: CoachSpoolError
            do {
                let (data, response) = try post(url: url, body: body, apiKey: apiKey, timeout: policy.timeoutSeconds)
                if (200..<300).contains(response.statusCode) { return data }
                let retryable = response.statusCode == 429 || response.statusCode >= 500
                let error = CoachSpoolError.endpoint(
                    status: response.statusCode, message: message(from: data), retryable: retryable)
                guard retryable else { throw error }
                serverDelay = retryAfter(response)
                failure = error
            } catch let error as CoachSpoolError where error.isRetryable {
                failure = error
            }
            guard attempt < policy.maxAttempts else { throw failure }
            Thread.sleep(forTimeInterval: policy.delay(afterAttempt: attempt, serverDelay: serverDelay))
        }
    }

    private static func post(url: URL, body: Data, apiKey: String?, timeout: Double) throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            outcome.data = data
            outcome.response = response as? HTTPURLResponse
            outcome.error = error
            done.signal()
        }
        task.resume()
        done.wait()
        if let error = outcome.error {
            // Messages of URLError name the host, never the key.
            throw CoachSpoolError.transport("\(url.host ?? "endpoint"): \(error.localizedDescription)")
        }
        guard let response = outcome.response else { throw CoachSpoolError.transport("no HTTP response") }
        return (outcome.data ?? Data(), response)
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail?
    }

    /// OpenAI's error body `{"error": {"message": …}}`, else the start of whatever came.
    static func message(from data: Data) -> String {
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: data), let message = body.error?.message {
            return message
        }
        return String(decoding: data.prefix(200), as: UTF8.self)
    }

    /// `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date.
    static func retryAfter(_ response: HTTPURLResponse) -> Double? {
        if let text = response.value(forHTTPHeaderField: "retry-after-ms"), let milliseconds = Double(text) {
            return milliseconds / 1000
        }
        guard let text = response.value(forHTTPHeaderField: "Retry-After") else { return nil }
        if let seconds = Double(text.trimmingCharacters(in: .whitespaces)) { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text).map { $0.timeIntervalSinceNow }
    }
}

