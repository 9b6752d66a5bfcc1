package dev.quark.samples.bank;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The bank sample: run it and call {@code POST /accounts/alice/deposit?amount=100}. Accounts pay a
 * {@link MonthlyFee monthly fee}; run it with {@code --bank.monthly-fee.period=5s} to see the fee taken every
 * five seconds.
 */
@SpringBootApplication
@EnableConfigurationProperties({ MonthlyFee.class, ReceiverDelay.class })
public class BankApplication {

    public static void main(String[] args) {
        SpringApplication.run(BankApplication.class, args);
    }
}
