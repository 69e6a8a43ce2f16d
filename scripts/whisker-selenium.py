#!/usr/bin/env python3
"""Drives Whisker's UI in headless Chromium with Selenium (chromium-driver): waits for flow
rows to arrive live, filters by a policy name through the Policy filter's hint list, opens a
flow and reads both policy traces; saves a screenshot. Prints a JSON report.

usage: whisker-selenium.py URL POLICY SCREENSHOT
"""
import json, sys, time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

url, policy, screenshot = sys.argv[1], sys.argv[2], sys.argv[3]
options = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"]:
    options.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
report = {}
try:
    driver.get(url)
    wait = WebDriverWait(driver, 60)
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=flow-row]"))
    report["rows_live"] = len(rows)
    # The Policy filter: open it, type part of the name, pick the hint.
    box = driver.find_element(By.CSS_SELECTOR, "[data-testid=filter-policy]")
    box.find_element(By.CSS_SELECTOR, "[data-testid=filter-toggle]").click()
    search = box.find_element(By.CSS_SELECTOR, "[data-testid=filter-search]")
    search.send_keys(policy[:4])
    option = wait.until(lambda d: next((o for o in box.find_elements(By.CSS_SELECTOR, "[data-testid=filter-option]")
                                        if o.get_attribute("data-value") == policy), None))
    option.click()
    report["filter"] = driver.execute_script("return window.whisker.currentFilter()")
    # Rows after the stream restarted with the filter: every row names the policy in a trace.
    time.sleep(1)
    filtered = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=flow-row]"))
    report["rows_filtered"] = len(filtered)
    data = driver.execute_script("return window.whisker.rows()")
    report["all_rows_name_policy"] = all(
        any(h.get("name") == policy or (h.get("trigger") or {}).get("name") == policy
            for h in ((r.get("policies") or {}).get("enforced") or []) + ((r.get("policies") or {}).get("pending") or []))
        for r in data)
    # Open the first flow: both traces side by side.
    filtered[0].find_element(By.CSS_SELECTOR, "[data-testid=expand]").click()
    details = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=flow-details]")))
    enforced = details.find_element(By.CSS_SELECTOR, "[data-testid=trace-enforced]").text
    pending = details.find_element(By.CSS_SELECTOR, "[data-testid=trace-pending]").text
    report["enforced"] = enforced
    report["pending"] = pending
    driver.save_screenshot(screenshot)
finally:
    driver.quit()
print(json.dumps(report))
