// Pay1st signatures in Java (17 or later), with nothing but the JDK: copy this class into your
// project. Tested by pay1st-mock against Pay1st's two documented test vectors and a live emulator
// (tests/test_signing_snippets.py).
//
// * Gateway requests you send, and the Payment Webhook Events Pay1st sends you:
//     X-SIGNATURE = lowercase hex HMAC-SHA256(key = your Signing Key's text,
//                   message = the X-TIMESTAMP text immediately followed by the raw body bytes)
// * The Carry1st Shop's Summary Webhook:
//     X-SIGNATURE = lowercase hex HMAC-SHA256(key = the Base64 *text* of "username:password",
//                   message = the raw body, surrounding whitespace trimmed)
//
// Sign and verify the exact bytes on the wire: send the bytes you signed, and verify the raw
// request body, never a re-serialised object.

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class Pay1stSigning {
    private Pay1stSigning() {}

    /** The X-SIGNATURE of a gateway request or Payment Webhook Event. */
    public static String signRequest(String signingKey, String timestamp, byte[] body) {
        byte[] prefix = timestamp.getBytes(StandardCharsets.UTF_8);
        byte[] message = Arrays.copyOf(prefix, prefix.length + body.length);
        System.arraycopy(body, 0, message, prefix.length, body.length);
        return hmacHex(signingKey, message);
    }

    /** Whether {@code signature} signs {@code timestamp} + {@code body} (constant time). */
    public static boolean verifyRequest(String signingKey, String timestamp, byte[] body,
                                        String signature) {
        return sameHex(signRequest(signingKey, timestamp, body), signature);
    }

    /** The Summary Webhook key: the Base64 text of "username:password" (not decoded bytes). */
    public static String summaryKey(String username, String password) {
        return Base64.getEncoder().encodeToString(
            (username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The X-SIGNATURE of a Summary Webhook body, for the product's Basic Auth pair. */
    public static String signSummary(String username, String password, byte[] body) {
        return hmacHex(summaryKey(username, password), trim(body));
    }

    /** Whether {@code signature} is the Summary Webhook signature of {@code body}. */
    public static boolean verifySummary(String username, String password, byte[] body,
                                        String signature) {
        return sameHex(signSummary(username, password, body), signature);
    }

    /** An X-TIMESTAMP for now: ISO-8601 UTC, e.g. 2025-03-17T08:10:52.544247Z. */
    public static String nowTimestamp() {
        return Instant.now().toString();
    }

    private static String hmacHex(String key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    // Space, tab, LF, VT, FF, CR at either end (String.trim() would also remove control bytes).
    private static byte[] trim(byte[] body) {
        int start = 0;
        int end = body.length;
        while (start < end && blank(body[start])) start++;
        while (end > start && blank(body[end - 1])) end--;
        return Arrays.copyOfRange(body, start, end);
    }

    private static boolean blank(byte b) {
        return b == ' ' || (b >= 0x09 && b <= 0x0d);
    }

    private static boolean sameHex(String expected, String received) {
        String given = received == null ? "" : received.trim().toLowerCase();
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                                     given.getBytes(StandardCharsets.UTF_8));
    }

    // -- an example: a signed Create Payment -------------------------------------------------

    /** Get an access token and create a payment; returns Pay1st's answer. */
    public static HttpResponse<String> createPayment(String baseUrl, String apiKey,
            String apiSecret, String signingKey, byte[] payment)
            throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        String basic = Base64.getEncoder().encodeToString(
            (apiKey + ":" + apiSecret).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(
                URI.create(baseUrl + "/api/pay1st/auth/token"))
            .header("Authorization", "Basic " + basic)
            .header("Content-Type", "application/vnd.carry1st.payments.partnerauthentication+json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"API_USER\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        // A JSON library would do this; the JDK has none, and the token holds no quote.
        Matcher found = Pattern.compile("\"accessToken\"\\s*:\\s*\"([^\"]+)\"").matcher(token.body());
        if (!found.find()) throw new IOException("no accessToken in: " + token.body());
        String timestamp = nowTimestamp();
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/pay1st/payments/create"))
            .header("AccessToken", "Bearer " + found.group(1))
            .header("Content-Type", "application/vnd.carry1st.payments.payment+json")
            .header("X-TIMESTAMP", timestamp)
            .header("X-SIGNATURE", signRequest(signingKey, timestamp, payment))
            .POST(HttpRequest.BodyPublishers.ofByteArray(payment)) // the bytes that were signed
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    // -- command line: java Pay1stSigning.java COMMAND ARGS (the body on standard input) -----
    //   sign-request SIGNING_KEY TIMESTAMP                 prints X-SIGNATURE
    //   verify-request SIGNING_KEY TIMESTAMP SIGNATURE     exit 0 if it matches, 1 if not
    //   sign-summary USERNAME PASSWORD                     prints X-SIGNATURE
    //   verify-summary USERNAME PASSWORD SIGNATURE         exit 0 if it matches, 1 if not
    //   create-payment BASE_URL API_KEY API_SECRET SIGNING_KEY   (standard input: the payment JSON)

    public static void main(String[] args) throws Exception {
        byte[] body = System.in.readAllBytes();
        String command = args.length > 0 ? args[0] : "";
        switch (command) {
            case "sign-request" -> System.out.println(signRequest(args[1], args[2], body));
            case "verify-request" -> System.exit(verifyRequest(args[1], args[2], body, args[3]) ? 0 : 1);
            case "sign-summary" -> System.out.println(signSummary(args[1], args[2], body));
            case "verify-summary" -> System.exit(verifySummary(args[1], args[2], body, args[3]) ? 0 : 1);
            case "create-payment" -> {
                HttpResponse<String> answer = createPayment(args[1], args[2], args[3], args[4], body);
                System.out.println("{\"status\":" + answer.statusCode() + ",\"body\":" + answer.body() + "}");
                System.exit(answer.statusCode() == 201 ? 0 : 1);
            }
            default -> {
                System.err.println("usage: java Pay1stSigning.java sign-request|verify-request|"
                    + "sign-summary|verify-summary|create-payment ARGS < body");
                System.exit(2);
            }
        }
    }
}
