package dev.quark.samples.bank;

import java.time.Duration;
import java.time.Instant;

import dev.quark.actor.ActorRefFactory;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The monthly fee with the period the demo uses, in virtual time: the application runs on a manual clock and
 * scheduler, which the test moves.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "bank.monthly-fee.period=5s", "bank.monthly-fee.amount=2" })
class MonthlyFeeTests {

    @Autowired
    private ActorRefFactory actors;

    @Autowired
    private ActorRuntime runtime;

    @Autowired
    private ManualScheduler scheduler;

    @Test
    void anOpenedAccountIsChargedTheFeeAtEveryTickOfItsPeriod() {
        Account account = this.actors.get(Account.class, "fee-payer");
        account.deposit(100);
        this.scheduler.advance(Duration.ofSeconds(4));
        assertThat(account.balance()).isEqualTo(100);
        this.scheduler.advance(Duration.ofSeconds(1));
        assertThat(account.balance()).isEqualTo(98);
        this.scheduler.advance(Duration.ofSeconds(10));
        assertThat(account.balance()).isEqualTo(94);
    }

    @Test
    void aTickDeliveredAgainIsNotChargedTwice() throws Exception {
        Account account = this.actors.get(Account.class, "twice");
        account.deposit(10);
        this.scheduler.advance(Duration.ofSeconds(5));
        assertThat(account.balance()).isEqualTo(8);
        Instant charged = ManualClock.DEFAULT_START.plusSeconds(5);
        Remindable sameAccount = this.runtime.reference(Remindable.class, new ActorAddress("Account", "twice"));
        sameAccount.receiveReminder(MonthlyFee.REMINDER, new ReminderStatus(charged, charged.plusSeconds(1), new byte[0], 1));
        assertThat(account.balance()).as("the tick of " + charged + " was charged already").isEqualTo(8);
    }

    @Test
    void theFeeNeverTakesABalanceBelowZero() {
        Account account = this.actors.get(Account.class, "poor");
        account.deposit(3);
        this.scheduler.advance(Duration.ofSeconds(10));
        assertThat(account.balance()).isZero();
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class VirtualTime {

        @Bean
        ManualClock manualClock() {
            return new ManualClock();
        }

        @Bean
        ManualScheduler manualScheduler(ManualClock clock) {
            return new ManualScheduler(clock);
        }
    }
}
