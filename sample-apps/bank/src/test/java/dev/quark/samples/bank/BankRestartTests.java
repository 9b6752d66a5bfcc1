package dev.quark.samples.bank;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.RedisTestServer;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The bank keeps balances, and the monthly-fee reminders of its accounts, across a restart of the application
 * when it runs with the postgres or the redis profile: start it, deposit, stop it, start it again, and the
 * balance and the reminder are there.
 */
class BankRestartTests {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void withPostgresBalancesSurviveARestart() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(BankRestartTests.class)) {
            String[] properties = { "--spring.datasource.url=" + schema.jdbcUrl(), "--spring.datasource.username=" };
            try (ConfigurableApplicationContext bank = start("postgres", properties)) {
                assertThat(post(bank, "/accounts/alice/deposit?amount=100")).containsEntry("balance", 100);
                assertThat(post(bank, "/accounts/alice/withdraw?amount=30")).containsEntry("balance", 70);
            }
            try (ConfigurableApplicationContext bank = start("postgres", properties)) {
                assertThat(bank.getEnvironment().getProperty("spring.datasource.url")).isEqualTo(schema.jdbcUrl());
                assertThat(get(bank, "/accounts/alice")).containsEntry("balance", 70);
                assertThat(monthlyFee(bank, "alice")).as("the fee reminder outlives the application").isPresent();
                assertThat(post(bank, "/accounts/alice/deposit?amount=5")).containsEntry("balance", 75);
                assertTransferAndLedger(bank, "alice", 75, 3);
                assertThat(component(get(bank, "/actuator/health"), "quarkState")).containsEntry("status", "UP");
                assertThat(component(get(bank, "/actuator/health"), "quarkReminders")).containsEntry("status", "UP");
                assertThat(component(get(bank, "/actuator/health"), "db")).containsEntry("status", "UP");
            }
        }
    }

    @Test
    void withRedisBalancesSurviveARestart() {
        RedisTestServer redis = RedisTestServer.get();
        String prefix = redis.uniqueKeyPrefix(BankRestartTests.class);
        String[] properties = { "--spring.data.redis.url=" + redis.url(), "--quark.redis.key-prefix=" + prefix };
        try {
            try (ConfigurableApplicationContext bank = start("redis", properties)) {
                assertThat(post(bank, "/accounts/bob/deposit?amount=40")).containsEntry("balance", 40);
            }
            try (ConfigurableApplicationContext bank = start("redis", properties)) {
                assertThat(bank.getEnvironment().getProperty("quark.redis.key-prefix")).isEqualTo(prefix);
                assertThat(get(bank, "/accounts/bob")).containsEntry("balance", 40);
                assertTransferAndLedger(bank, "bob", 40, 1);
                assertThat(monthlyFee(bank, "bob")).as("the fee reminder outlives the application").isPresent();
                assertThat(component(get(bank, "/actuator/health"), "quarkState")).containsEntry("status", "UP");
                assertThat(component(get(bank, "/actuator/health"), "quarkReminders")).containsEntry("status", "UP");
                assertThat(component(get(bank, "/actuator/health"), "redis")).containsEntry("status", "UP");
            }
        }
        finally {
            redis.deleteKeys(prefix);
        }
    }

    /**
     * A transfer from an account with a history to a new account, on the backend of the profile: the ledger entries
     * written before the restart are in the ledger (delivered before or after it), the credit arrives, and each ledger
     * shows the transfer.
     */
    private static void assertTransferAndLedger(ConfigurableApplicationContext bank, String from, long balance,
            int entries) {
        String to = from + "-savings";
        post(bank, "/accounts/" + to + "/deposit?amount=1");
        assertThat(post(bank, "/accounts/" + from + "/transfer?to=" + to + "&amount=20"))
            .containsEntry("balance", (int) (balance - 20));
        await().atMost(Duration.ofSeconds(20))
            .untilAsserted(() -> assertThat(get(bank, "/accounts/" + to)).containsEntry("balance", 21));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(get(bank, "/accounts/" + from + "/ledger"))
            .containsEntry("version", entries + 1)
            .extractingByKey("state", InstanceOfAssertFactories.MAP)
            .containsEntry("balance", (int) (balance - 20))
            .containsEntry("transfers", 1));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(get(bank, "/accounts/" + to + "/ledger"))
            .containsEntry("version", 2)
            .extractingByKey("state", InstanceOfAssertFactories.MAP)
            .containsEntry("balance", 21));
    }

    /**
     * Starts the bank with a profile; the arguments override the profile's properties, as on a command line.
     */
    private static ConfigurableApplicationContext start(String profile, String... arguments) {
        return new SpringApplicationBuilder(BankApplication.class).profiles(profile).run(withPort(arguments));
    }

    private static String[] withPort(String[] arguments) {
        String[] all = java.util.Arrays.copyOf(arguments, arguments.length + 1);
        all[arguments.length] = "--server.port=0";
        return all;
    }

    private static Map<String, Object> post(ConfigurableApplicationContext bank, String path) {
        return http(bank).post().uri(path).retrieve().body(JSON);
    }

    private static Map<String, Object> get(ConfigurableApplicationContext bank, String path) {
        return http(bank).get().uri(path).retrieve().body(JSON);
    }

    private static RestClient http(ConfigurableApplicationContext bank) {
        return RestClient.create("http://127.0.0.1:" + bank.getEnvironment().getProperty("local.server.port"));
    }

    private static Optional<ReminderEntry> monthlyFee(ConfigurableApplicationContext bank, String account) {
        return bank.getBean(ReminderTable.class)
            .find(new ReminderKey(new ActorAddress("Account", account), MonthlyFee.REMINDER));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> component(Map<String, Object> health, String name) {
        return (Map<String, Object>) ((Map<String, Object>) health.get("components")).get(name);
    }
}
